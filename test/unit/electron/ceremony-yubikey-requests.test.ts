/**
 * The YubiKey channels of the Root ceremony (issue #13) through createIpcHandlers, as the renderer calls
 * them: the slot confirmation (`ceremonyConfirmSlot`), the no-echo management key
 * (`ceremonyProvideManagementKey`) and its cancel. Each invalid payload is refused with IPC_INVALID and
 * the path of the field, and no message ever quotes what was typed as a management key; a well-formed
 * answer to no pending request is USAGE. (The dialogs' whole flow, on an emulated YubiKey:
 * test/e2e/ceremony-yubikey.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { CeremonySession, defaultCeremonyDeps } from '../../../electron/main/ceremony.js';
import { createIpcHandlers } from '../../../electron/main/ipc-handlers.js';
import { CHANNELS } from '../../../electron/shared/channels.js';
import type { IpcResult } from '../../../electron/shared/api-types.js';

const handlers = () => createIpcHandlers({ ceremony: new CeremonySession(defaultCeremonyDeps({ modules: { load: () => Promise.reject(new Error('no PKCS#11 in this test')) } })) });
const ID = 'a'.repeat(32);
/** What a custodian might type: never to appear in a message. */
const SECRET_ISH = '0f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a6978';

type Row = [what: string, channel: (typeof CHANNELS)[keyof typeof CHANNELS], payload: unknown, code: string, path?: string];

const INVALID: Row[] = [
  ['slot: no payload', CHANNELS.ceremonyConfirmSlot, undefined, 'IPC_INVALID', '$'],
  ['slot: not an object', CHANNELS.ceremonyConfirmSlot, 'yes', 'IPC_INVALID', '$'],
  ['slot: request ID not main’s', CHANNELS.ceremonyConfirmSlot, { requestId: 'nope', confirm: true }, 'IPC_INVALID', '$.requestId'],
  ['slot: request ID in upper case', CHANNELS.ceremonyConfirmSlot, { requestId: 'A'.repeat(32), confirm: true }, 'IPC_INVALID', '$.requestId'],
  ['slot: confirm missing', CHANNELS.ceremonyConfirmSlot, { requestId: ID }, 'IPC_INVALID', '$.confirm'],
  ['slot: confirm as text', CHANNELS.ceremonyConfirmSlot, { requestId: ID, confirm: 'true' }, 'IPC_INVALID', '$.confirm'],
  ['slot: confirm as a number', CHANNELS.ceremonyConfirmSlot, { requestId: ID, confirm: 1 }, 'IPC_INVALID', '$.confirm'],
  ['slot: a slot of the renderer’s choosing', CHANNELS.ceremonyConfirmSlot, { requestId: ID, confirm: true, slot: '9a' }, 'IPC_INVALID', '$.slot'],
  ['key: no payload', CHANNELS.ceremonyProvideManagementKey, undefined, 'IPC_INVALID', '$'],
  ['key: request ID missing', CHANNELS.ceremonyProvideManagementKey, { managementKey: SECRET_ISH }, 'IPC_INVALID', '$.requestId'],
  ['key: missing', CHANNELS.ceremonyProvideManagementKey, { requestId: ID }, 'IPC_INVALID', '$.managementKey'],
  ['key: empty', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: '' }, 'IPC_INVALID', '$.managementKey'],
  ['key: 47 hex digits', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: SECRET_ISH.slice(1) }, 'IPC_INVALID', '$.managementKey'],
  ['key: 49 hex digits', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: `${SECRET_ISH}0` }, 'IPC_INVALID', '$.managementKey'],
  ['key: not hex', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: `${SECRET_ISH.slice(1)}g` }, 'IPC_INVALID', '$.managementKey'],
  ['key: with spaces', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: `${SECRET_ISH.slice(0, 24)} ${SECRET_ISH.slice(25)}` }, 'IPC_INVALID', '$.managementKey'],
  ['key: as bytes', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: new Uint8Array(24) }, 'IPC_INVALID', '$.managementKey'],
  ['key: an extra field', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: SECRET_ISH, slot: '82' }, 'IPC_INVALID', '$.slot'],
  ['key cancel: no payload', CHANNELS.ceremonyCancelManagementKey, undefined, 'IPC_INVALID', '$'],
  ['key cancel: request ID not main’s', CHANNELS.ceremonyCancelManagementKey, { requestId: 'x'.repeat(32) }, 'IPC_INVALID', '$.requestId'],
  ['key cancel: the key sent along', CHANNELS.ceremonyCancelManagementKey, { requestId: ID, managementKey: SECRET_ISH }, 'IPC_INVALID', '$.managementKey'],
  // Well formed, but nothing is being asked: refused by the session, not by the schema.
  ['slot: no slot proposed', CHANNELS.ceremonyConfirmSlot, { requestId: ID, confirm: true }, 'USAGE'],
  ['key: no key asked for', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: SECRET_ISH }, 'USAGE'],
  ['key: upper-case hex is a key too, but none is asked for', CHANNELS.ceremonyProvideManagementKey, { requestId: ID, managementKey: SECRET_ISH.toUpperCase() }, 'USAGE'],
  ['key cancel: no key asked for', CHANNELS.ceremonyCancelManagementKey, { requestId: ID }, 'USAGE'],
];

describe('YubiKey ceremony channels refuse invalid payloads, each with its code and the field’s path', () => {
  const h = handlers();
  it.each(INVALID)('%s', async (_what, channel, payload, code, path) => {
    const r = (await h[channel](payload)) as IpcResult<unknown>;
    expect(r).toMatchObject({ ok: false, code, ...(path ? { path } : {}) });
    // Whatever was typed as a management key is never quoted back (STYLE.md: secrets never in errors).
    const text = JSON.stringify(r).toLowerCase();
    expect(text).not.toContain(SECRET_ISH.slice(1, 40));
  });

  it('the status of an idle session carries no YubiKey request', async () => {
    const r = (await h[CHANNELS.ceremonyStatus](undefined)) as IpcResult<Record<string, unknown>>;
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.slotRequest).toBeUndefined();
      expect(r.value.managementKeyRequest).toBeUndefined();
      expect(r.value.warnings).toBeUndefined();
    }
  });
});
