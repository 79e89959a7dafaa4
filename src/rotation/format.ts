/** The two rotation document formats (src/rotation/request.ts), and how to tell them apart from anything else. */
import { parseJsonStrict } from '../json/parse.js';

export const SIGNING_REQUEST_FORMAT = 'tuf-ceremony-signing-request';
export const SIGNATURE_RESPONSE_FORMAT = 'tuf-ceremony-signature-response';
export const REQUEST_MAX_BYTES = 4 * 1024 * 1024;

/** Whether bytes look like one of our documents (for `inspect`): the `format` field, nothing trusted. */
export function documentFormatOf(bytes: Uint8Array): typeof SIGNING_REQUEST_FORMAT | typeof SIGNATURE_RESPONSE_FORMAT | undefined {
  try {
    const obj = parseJsonStrict(bytes, { maxBytes: REQUEST_MAX_BYTES, path: '$' });
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      if (obj.format === SIGNING_REQUEST_FORMAT) return SIGNING_REQUEST_FORMAT;
      if (obj.format === SIGNATURE_RESPONSE_FORMAT) return SIGNATURE_RESPONSE_FORMAT;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Certificate renewal documents (certificate-request.ts, issue #14). */
export const CERTIFICATE_REQUEST_FORMAT = 'tuf-ceremony-certificate-request';
export const CERTIFICATE_RESPONSE_FORMAT = 'tuf-ceremony-certificate-response';
export const CERTIFICATE_REQUEST_MAX_BYTES = 2 * 1024 * 1024;

/** Whether bytes are a certificate request or response (the `format` field only; nothing trusted). */
export function certificateDocumentFormatOf(bytes: Uint8Array): typeof CERTIFICATE_REQUEST_FORMAT | typeof CERTIFICATE_RESPONSE_FORMAT | undefined {
  try {
    const obj = parseJsonStrict(bytes, { maxBytes: CERTIFICATE_REQUEST_MAX_BYTES, path: '$' });
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      if (obj.format === CERTIFICATE_REQUEST_FORMAT) return CERTIFICATE_REQUEST_FORMAT;
      if (obj.format === CERTIFICATE_RESPONSE_FORMAT) return CERTIFICATE_RESPONSE_FORMAT;
    }
  } catch {
    return undefined;
  }
  return undefined;
}
