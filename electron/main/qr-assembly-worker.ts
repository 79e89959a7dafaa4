/**
 * The QR assembly worker (worker_threads), started by electron/main/qr-assembly.ts startQrAssembly: the
 * frames of the webcam scan are assembled here, never on the main process's thread (issue #12).
 */
import { parentPort } from 'node:worker_threads';
import { serveQrAssembly } from './qr-assembly.js';

if (parentPort) serveQrAssembly(parentPort);
