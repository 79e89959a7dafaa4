/**
 * The worker thread of certificate-readback-pool.ts: OpenSSL's read-back of one certificate
 * (signers/certificate-openssl.ts opensslReadsAsIntended, the same function the caller's thread runs),
 * with the intended key's KeyObject passed as it was decoded there. Answers only true or false.
 */
import type { KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { opensslReadsAsIntended } from '../signers/certificate-openssl.js';

export interface ReadBackMessage {
  id: number;
  der: Uint8Array;
  commonName: string;
  notBefore: number;
  notAfter: number;
  publicKey: KeyObject;
  spki: Uint8Array;
  fingerprint: string;
}

parentPort?.on('message', (m: ReadBackMessage) => {
  let ok = false;
  try {
    ok = opensslReadsAsIntended(m.der, { commonName: m.commonName, notBefore: new Date(m.notBefore), notAfter: new Date(m.notAfter), publicKey: m.publicKey, spki: m.spki, fingerprint: m.fingerprint });
  } catch {
    ok = false;
  }
  parentPort!.postMessage({ id: m.id, ok });
});
