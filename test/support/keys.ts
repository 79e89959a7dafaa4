/**
 * Test keys: real key pairs from node:crypto, written as each profile lists them, with signers that
 * return raw signatures (r‖s for ECDSA, as tokens do). Notary root keys get a self-signed leaf
 * certificate (CN = GUN) built with @peculiar/x509.
 */
import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync, sign as nodeSign, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { JsonObject } from '../../src/json/types.js';
import { getProfile } from '../../src/profiles/index.js';
import type { ProfileName } from '../../src/profiles/profile.js';
import type { MetadataSigner } from '../../src/tuf/sign.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type TestKeyKind = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa' | 'ecdsa-x509';

export interface TestKey extends MetadataSigner {
  json: JsonObject;
  privateKey: KeyObject;
}

function rawSign(kind: TestKeyKind, privateKey: KeyObject, data: Uint8Array): Uint8Array {
  switch (kind) {
    case 'ed25519':
      return new Uint8Array(nodeSign(null, data, privateKey));
    case 'rsa':
      return new Uint8Array(nodeSign('sha256', data, { key: privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }));
    case 'ecdsa-p384':
      return new Uint8Array(nodeSign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    default:
      return new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  }
}

function pemOf(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** Go's PEM: 64-column lines, LF, trailing LF (FIELD-NOTES). */
function goPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

export async function notaryCertificatePem(privateKey: KeyObject, publicKey: KeyObject, gun: string, opts: { ca?: boolean; notAfter?: Date; notBefore?: Date } = {}): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${gun}`,
    notBefore: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    signingAlgorithm: alg,
    keys: keys as unknown as CryptoKeyPair,
    extensions: [new x509.BasicConstraintsExtension(Boolean(opts.ca), undefined, true)],
  });
  return goPem('CERTIFICATE', cert.rawData);
}

/** Make a key of `kind` listed as `profile` writes it. `gun` is needed for Notary x509 root keys. */
export async function makeKey(profile: ProfileName, kind: TestKeyKind, gun = 'example.com/org/app', certOpts: { ca?: boolean; notAfter?: Date; notBefore?: Date } = {}): Promise<TestKey> {
  let pair: { publicKey: KeyObject; privateKey: KeyObject };
  if (kind === 'ed25519') pair = generateKeyPairSync('ed25519');
  else if (kind === 'rsa') pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  else pair = generateKeyPairSync('ec', { namedCurve: kind === 'ecdsa-p384' ? 'P-384' : 'P-256' });
  const spkiDer = pair.publicKey.export({ type: 'spki', format: 'der' });
  let json: JsonObject;
  if (profile === 'tuf') {
    if (kind === 'ed25519') {
      json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: Buffer.from(spkiDer.subarray(-32)).toString('hex') } };
    } else if (kind === 'rsa') {
      json = { keytype: 'rsa', scheme: 'rsassa-pss-sha256', keyval: { public: pemOf(pair.publicKey) } };
    } else {
      const scheme = kind === 'ecdsa-p384' ? 'ecdsa-sha2-nistp384' : 'ecdsa-sha2-nistp256';
      json = { keytype: 'ecdsa', scheme, keyval: { public: pemOf(pair.publicKey) } };
    }
  } else if (kind === 'ecdsa-x509') {
    const pem = await notaryCertificatePem(pair.privateKey, pair.publicKey, gun, certOpts);
    json = { keytype: 'ecdsa-x509', keyval: { private: null, public: Buffer.from(pem).toString('base64') } };
  } else if (kind === 'ed25519') {
    json = { keytype: 'ed25519', keyval: { private: null, public: Buffer.from(spkiDer.subarray(-32)).toString('base64') } };
  } else {
    json = { keytype: 'ecdsa', keyval: { private: null, public: Buffer.from(spkiDer).toString('base64') } };
  }
  const p = getProfile(profile);
  const key = p.parseKey(json, '$test');
  // Notary signs ECDSA over SHA-256 whatever the curve (FIELD-NOTES); x509 keys here are P-256.
  const signKind: TestKeyKind = profile === 'notary' && kind === 'ecdsa-p384' ? 'ecdsa-p256' : kind;
  const privateKey = createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { keyId: p.keyId(json), key, json, privateKey, sign: (data: Uint8Array) => rawSign(signKind, privateKey, data) };
}
