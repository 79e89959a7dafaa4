/** The ceremony transcript (PRODUCT.md §2.7): write, seal, verify, render. See types.ts for the format. */
export * from './types.js';
export { MAX_LINE_BYTES, MAX_TRANSCRIPT_BYTES, NOTE_MAX_CHARS, looksLikeKeyMaterial, recordHash } from './schema.js';
export { SEAL_TYPE, sealPayloadBytes, tufKeyJson } from './seal.js';
export { TranscriptWriter, memorySink, type DigestInput, type EntryInput, type FileInput, type HeaderInput, type TranscriptSink, type TranscriptWriterOptions } from './transcript.js';
export { verifyTranscript, type VerifyTranscriptOptions } from './verify.js';
export { renderTranscriptHtml, type RenderOptions } from './render.js';
