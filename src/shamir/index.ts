/** Share cards (PRODUCT.md §2.2): split, typed form, checks, combine, roll-call, printing. */
export { ALPHABET } from './alphabet.js';
export {
  SHARE_CARD_MAX_BYTES,
  SHARE_CARD_VERSION,
  cardCheck,
  formatFingerprint,
  formatShareCard,
  formatSplitId,
  makeShareCard,
  normalizeFingerprint,
  normalizeSplitId,
  parseShareCard,
  wipeShareCard,
  type ParseShareCardOptions,
  type ShareCard,
} from './card.js';
export { checkCardSet, withReconstructedKey, type CardSetExpectations, type CardSetSummary, type ReconstructedKey } from './combine.js';
export { SECRET_LENGTH, SHAMIR_ALGORITHMS, derivePublicKey, isShamirAlgorithm, publicKeyForms, type DerivedPublicKey, type PublicKeyForms, type ShamirAlgorithm } from './keys.js';
export { SHARE_CARDS_CSS, renderShareCardsHtml, shareCardQrSvg, type RenderShareCardsOptions } from './print.js';
export { rollCall, type RollCallResult } from './roll-call.js';
export { generateAndSplit, randomSplitId, splitKey, type SplitOptions, type SplitResult } from './split.js';
