// `node --import ./test/support/module-trace.mjs …` with MODULE_TRACE_FILE set: records every module the
// process loads — ESM through the module-load hooks (test/support/module-trace-hooks.mjs), and at exit every
// CommonJS module in the require cache: Node 20's hooks do not see `require` (src/profiles/x509.ts loads
// the ASN.1 packages through createRequire), so the cache is where those show up.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.MODULE_TRACE_FILE;
register('./module-trace-hooks.mjs', import.meta.url, { data: { file } });
process.on('exit', () => {
  const cached = Object.keys(Module._cache);
  if (cached.length > 0) appendFileSync(file, `${cached.map((path) => `cjs:${path}`).join('\n')}\n`);
});
