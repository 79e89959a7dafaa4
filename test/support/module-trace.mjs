// `node --import ./test/support/module-trace.mjs …` with MODULE_TRACE_FILE set: records every module the
// process loads (test/support/module-trace-hooks.mjs).
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url, { data: { file: process.env.MODULE_TRACE_FILE } });
