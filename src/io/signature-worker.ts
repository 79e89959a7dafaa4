/**
 * A worker thread of the signature pool (signature-pool.ts): checks claimed chunks of each batch it is sent
 * with the same function the profiles verify with (crypto/public-key.ts verifySignature) and the keys the
 * profiles decoded (KeyObjects passed with the batch).
 */
import { parentPort } from 'node:worker_threads';
import { verifySignature } from '../crypto/public-key.js';
import { CHECK_FIELDS, checkChunks, type BatchMessage } from './signature-shared.js';

parentPort?.on('message', (batch: BatchMessage) => {
  const { table, bytes, keys, schemes } = batch;
  const dataAt = batch.checks * CHECK_FIELDS;
  checkChunks(batch, (i) => {
    const f = i * CHECK_FIELDS;
    const k = table[f]!;
    const d = dataAt + table[f + 1]! * 2;
    const data = bytes.subarray(table[d]!, table[d]! + table[d + 1]!);
    const signature = bytes.subarray(table[f + 2]!, table[f + 2]! + table[f + 3]!);
    return verifySignature(keys[k]!, schemes[k]!, signature, data);
  });
});
