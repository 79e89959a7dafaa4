/** Animated QR transport: fountain-coded UR frames (encoder.ts) and the elimination receiver (assembler.ts). */
export { encodeQrFrames, framesForLoss, smallBundleNote, QR_SMALL_BUNDLE_FRAGMENTS, QR_DEFAULT_FRAGMENT_BYTES, QR_MAX_FRAGMENT_BYTES, QR_MIN_FRAGMENT_BYTES, type QrEncoding, type QrSchedule } from './encoder.js';
export { maxDistinctParts, QrAssembler, type QrProgress, type ReceiveOutcome } from './assembler.js';
export { checkQrBundle } from './bundle-message.js';
export { fragmentChooser, type FragmentChooser } from './fragment-chooser.js';
export { DEFAULT_QR_CAPS, parseQrPart, QR_MAX_FRAME_CHARS, type QrCaps, type QrPart } from './part.js';
export { Gf2Solver } from './solver.js';
export { QR_UR_TYPE, packageIndexChooser, type IndexChooser } from './ur.js';
