/**
 * The card side of vsmartcard's vpcd protocol (vsmartcard virtualsmartcard/src/vpcd/vpcd.c and
 * vpicc/virtualsmartcard/VirtualSmartcard.py, read for the framing): the virtual card is a TCP client of
 * the reader driver; every message is a 2-byte big-endian length and that many bytes. A one-byte message
 * is a control code (0 power off, 1 power on, 2 reset, 4 send the ATR); anything longer is a command APDU,
 * answered with a response APDU in the same framing.
 */
import { connect, type Socket } from 'node:net';
import { PivCard } from './card.js';

export interface VpcdLinkEvents {
  onAtrRequested?(): void;
  onClose?(): void;
}

export class VpcdLink {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly card: PivCard,
    private readonly port: number,
    private readonly events: VpcdLinkEvents = {},
  ) {}

  /** Connects, retrying while pcscd has not yet opened the driver's port. */
  async open(deadlineMs = 30_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port: this.port }, () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (e) {
        if (Date.now() - started > deadlineMs) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.events.onClose?.();
    });
    this.socket.on('error', () => undefined);
  }

  private drain(): void {
    while (this.buffer.length >= 2) {
      const length = this.buffer.readUInt16BE(0);
      if (this.buffer.length < 2 + length) return;
      const message = new Uint8Array(this.buffer.subarray(2, 2 + length));
      this.buffer = this.buffer.subarray(2 + length);
      // Commands are answered strictly in order, even when one waits for a (simulated) touch.
      this.queue = this.queue.then(() => this.handle(message));
    }
  }

  private async handle(message: Uint8Array): Promise<void> {
    if (message.length === 1) {
      const code = message[0];
      if (code === 0 || code === 1 || code === 2) this.card.reset();
      else if (code === 4) {
        this.events.onAtrRequested?.();
        this.send(PivCard.ATR);
      }
      return;
    }
    const response = await this.card.transmit(message);
    this.send(response);
  }

  private send(bytes: Uint8Array): void {
    if (this.closed || !this.socket) return;
    const header = Buffer.alloc(2);
    header.writeUInt16BE(bytes.length);
    this.socket.write(Buffer.concat([header, bytes]));
  }

  /** Pulling the card out of the reader. */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}
