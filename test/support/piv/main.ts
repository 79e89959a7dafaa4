/**
 * Entry point of the emulator process (forked by emulator.ts). It runs outside the test's process because
 * a PKCS#11 call blocks the caller's thread while ykcs11 waits for this card to answer through pcscd.
 * Control arrives over the fork IPC channel; no secret of the card is ever sent back.
 */
import { PivCard, type PivCardConfig } from './card.js';
import { VpcdLink } from './vpcd-link.js';

type Control = { id: number } & ({ type: 'start'; config: PivCardConfig; port: number } | { type: 'events' } | { type: 'set-touch'; touch: PivCardConfig['touch'] } | { type: 'remove' } | { type: 'public'; slot: number });

let card: PivCard | undefined;
let link: VpcdLink | undefined;
let config: PivCardConfig | undefined;

function notify(message: object): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const message = raw as Control;
  const id = message.id;
  const answer = (m: object) => process.send?.({ ...m, id });
  void (async () => {
    switch (message.type) {
      case 'start': {
        config = message.config;
        card = new PivCard(config);
        link = new VpcdLink(card, message.port, { onAtrRequested: () => notify({ type: 'atr' }) });
        await link.open();
        answer({ type: 'connected' });
        return;
      }
      case 'events':
        answer({ type: 'events', events: card?.events, pinRetries: card?.pinRetriesLeft() });
        return;
      case 'public':
        answer({ type: 'public', point: card?.publicPoint(message.slot) });
        return;
      case 'set-touch':
        if (config) config.touch = message.touch;
        answer({ type: 'ok' });
        return;
      case 'remove':
        link?.close();
        answer({ type: 'ok' });
        return;
    }
  })().catch((e: unknown) => answer({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
});

process.on('disconnect', () => process.exit(0));
