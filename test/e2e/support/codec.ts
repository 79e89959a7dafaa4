/**
 * The bridge's wire format: JSON, with every Uint8Array written as `{ "$bytes": "<base64>" }` (JSON has
 * no byte type; Electron's structured clone carries Uint8Array natively, and this keeps the same shape
 * on both ends). The page-side twin of these two functions is inlined in bridge.ts (an init script
 * cannot import).
 */
export const BYTES_TAG = '$bytes';

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? { [BYTES_TAG]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v));
}

function isTagged(v: unknown): v is { [BYTES_TAG]: string } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === BYTES_TAG && typeof (v as Record<string, unknown>)[BYTES_TAG] === 'string';
}

export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => (isTagged(v) ? new Uint8Array(Buffer.from(v[BYTES_TAG], 'base64')) : v));
}
