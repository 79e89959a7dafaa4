/**
 * A worker thread of the signature pool (signature-pool.ts): checks claimed chunks of each batch it is sent
 * with the same function the profiles verify with (crypto/public-key.ts verifySignature), from the keys'
 * SPKI bytes — a thread shares no decoded keys. Keys are decoded once per worker, by fingerprint.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { verifySignature } from '../crypto/public-key.js';
import { CHECK_FIELDS, checkChunks, type BatchMessage } from './signature-shared.js';

const decoded = new Map<string, KeyObject>();

function keyOf(batch: BatchMessage, k: number): KeyObject {
  const fingerprint = batch.fingerprints[k]!;
  let key = decoded.get(fingerprint);
  if (!key) {
    const at = batch.checks * CHECK_FIELDS + batch.datas * 2 + k * 2;
    const spki = batch.bytes.subarray(batch.table[at]!, batch.table[at]! + batch.table[at + 1]!);
    key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
    decoded.set(fingerprint, key);
  }
  return key;
}

parentPort?.on('message', (batch: BatchMessage) => {
  const { table, bytes } = batch;
  const dataAt = batch.checks * CHECK_FIELDS;
  checkChunks(batch, (i) => {
    const f = i * CHECK_FIELDS;
    const k = table[f]!;
    const d = dataAt + table[f + 1]! * 2;
    const data = bytes.subarray(table[d]!, table[d]! + table[d + 1]!);
    const signature = bytes.subarray(table[f + 2]!, table[f + 2]! + table[f + 3]!);
    try {
      return verifySignature(keyOf(batch, k), batch.schemes[k]!, signature, data);
    } catch {
      // A key this thread cannot decode: not checked here; the walk checks it itself.
      return false;
    }
  });
});
