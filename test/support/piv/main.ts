/**
 * Entry point of the emulator process (forked by emulator.ts). It runs outside the test's process because
 * a PKCS#11 call blocks the caller's thread while ykcs11 waits for this card to answer through pcscd.
 * Control arrives over the fork IPC channel; no secret of the card is ever sent back.
 */
import { PivCard, type PivCardConfig } from './card.js';
import { VpcdLink } from './vpcd-link.js';

type Control = { type: 'start'; config: PivCardConfig; port: number } | { type: 'events' } | { type: 'set-touch'; touch: PivCardConfig['touch'] } | { type: 'remove' } | { type: 'public'; slot: number };

let card: PivCard | undefined;
let link: VpcdLink | undefined;
let config: PivCardConfig | undefined;

function reply(message: unknown): void {
  process.send?.(message);
}

process.on('message', (raw: unknown) => {
  const message = raw as Control;
  void (async () => {
    switch (message.type) {
      case 'start': {
        config = message.config;
        card = new PivCard(config);
        link = new VpcdLink(card, message.port, { onAtrRequested: () => reply({ type: 'atr' }) });
        await link.open();
        reply({ type: 'connected' });
        return;
      }
      case 'events':
        reply({ type: 'events', events: card?.events, pinRetries: card?.pinRetriesLeft() });
        return;
      case 'public':
        reply({ type: 'public', point: card?.publicPoint(message.slot) });
        return;
      case 'set-touch':
        if (config) config.touch = message.touch;
        reply({ type: 'ok' });
        return;
      case 'remove':
        link?.close();
        reply({ type: 'ok' });
        return;
    }
  })().catch((e: unknown) => reply({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
});

process.on('disconnect', () => process.exit(0));
