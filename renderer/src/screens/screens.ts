/**
 * The screens of PRODUCT.md §3. Every screen works in this build; a screen marked not ready would show an honest page
 * saying what it will do and what exists today (NotYetScreen).
 */
export type ScreenId = 'inspect' | 'tokens' | 'root' | 'shamir' | 'rotation' | 'cosign' | 'export' | 'import' | 'transcript';

export interface ScreenInfo {
  id: ScreenId;
  title: string;
  ready: boolean;
  /** What the screen will do (PRODUCT.md §2). */
  purpose: string;
  /** What works today instead, if anything. */
  meanwhile?: string;
}

export const SCREENS: ScreenInfo[] = [
  { id: 'inspect', title: 'Inspect', ready: true, purpose: 'See the key hierarchy of a metadata file or directory, and verify it.' },
  {
    id: 'tokens',
    title: 'Tokens',
    ready: true,
    purpose:
      'Load a PKCS#11 module (YubiKey, OpenSC, SoftHSM2), list slots and tokens with their serial numbers, and generate keys on the token. Each custodian’s token is identified by serial and key fingerprint before a PIN is asked.',
  },
  {
    id: 'root',
    title: 'Root ceremony',
    ready: true,
    purpose:
      'From a reviewed plan: generate the root keys on the custodians’ tokens, sign root.json version 1 to its threshold, and produce the other top-level metadata and the ceremony transcript.',
  },
  {
    id: 'shamir',
    title: 'Shamir',
    ready: true,
    purpose:
      'Roll-call: prove a share card is valid without reconstructing anything (a mistyped character is located); recover: check that M cards rebuild the key they record. Cards are split and printed in the root ceremony; co-signing with cards is on the Co-sign screen.',
  },
  {
    id: 'rotation',
    title: 'Rotation',
    ready: true,
    purpose:
      'Make the next root version, signed by a threshold of the old root keys and of the new ones: replace a lost or compromised key, add or remove root keys, change the threshold, renew expiry; write the signing request and merge the co-signers’ responses. (Targets, snapshot and delegation changes: tuf-ceremony rotate.)',
  },
  {
    id: 'cosign',
    title: 'Co-sign',
    ready: true,
    purpose:
      'Review a signing request in plain words (who gains or loses which role, thresholds, expiry, targets), compare a short hash read aloud, and sign with your token or with share cards of a Shamir-split key; the response goes back to the administrator, who merges it on the Rotation screen.',
  },
  {
    id: 'export',
    title: 'Export',
    ready: true,
    purpose: 'Write a verified bundle to USB (atomically, read back to check) or play it as an animated QR code.',
  },
  {
    id: 'import',
    title: 'Import',
    ready: true,
    purpose:
      'Import a trust bundle from USB or a webcam, verify it completely against a pinned root, and install it into the Docker, Notary or TUF trust store.',
  },
  {
    id: 'transcript',
    title: 'Transcript',
    ready: true,
    purpose: 'Read the hash-chained ceremony transcript, check its chain and seal, and print it.',
  },
];

export function screenFromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '');
  // --- import (#6): the camera route is the Import screen in camera mode (the only route the camera permission is granted to).
  if (id === 'import-qr') return 'import';
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : 'inspect';
}
