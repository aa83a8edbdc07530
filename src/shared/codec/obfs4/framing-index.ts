/**
 * Public API of the obfs4 data phase (framing half of src/shared/codec/obfs4).
 * The folder's index.ts (owned by the lead) should re-export this file next
 * to the handshake's: `export * from "./framing-index.js";`.
 *
 * Four names are left out because handshake-index.ts exports the same
 * values and `export *` of both would be ambiguous: DRBG_SEED_LENGTH (24),
 * INLINE_SEED_FRAME_LENGTH (45), SESSION_KEY_MATERIAL_LENGTH (144) and the
 * type IatMode (0 | 1 | 2). Import them from their modules here if needed.
 */
export {
  SECRETBOX_KEY_LENGTH,
  SECRETBOX_NONCE_LENGTH,
  SECRETBOX_OVERHEAD,
  SIPHASH_KEY_LENGTH,
  SIPHASH_OUTPUT_LENGTH,
  completeBackend,
  type CompleteObfs4CryptoBackend,
  type Obfs4CryptoBackend,
} from "./crypto-backend.js";
export { createJsCryptoBackend, jsCryptoBackend } from "./crypto-backend-js.js";
export { DRBG_BLOCK_LENGTH, HashDrbg, newDrbgSeed, type Int63 } from "./drbg.js";
export {
  ERR_OBFS4_BAD_FRAME_LENGTH,
  ERR_OBFS4_BAD_PACKET_LENGTH,
  ERR_OBFS4_BAD_PAYLOAD_LENGTH,
  ERR_OBFS4_NONCE_EXHAUSTED,
  ERR_OBFS4_TAG_MISMATCH,
  Obfs4FramingError,
  Obfs4NonceExhaustedError,
  FRAME_LENGTH_FIELD,
  FRAME_OVERHEAD,
  FRAMING_KEY_LENGTH,
  FrameDecoder,
  FrameEncoder,
  MAX_BOX_LENGTH,
  MAX_FRAME_DECODER_BUFFER,
  MAX_FRAME_LENGTH,
  MAX_FRAME_PAYLOAD,
  MIN_BOX_LENGTH,
  NONCE_PREFIX_LENGTH,
  type FramingOptions,
  type Obfs4FramingErrorCode,
} from "./framing.js";
export {
  MAX_PACKET_PADDING,
  MAX_PACKET_PAYLOAD,
  PACKET_FRAME_OVERHEAD,
  PACKET_OVERHEAD,
  PACKET_TYPE_PAYLOAD,
  PACKET_TYPE_PRNG_SEED,
  PRNG_SEED_LENGTH,
  Obfs4Decoder,
  Obfs4Encoder,
  createFramers,
  encodedLength,
  type Obfs4Framers,
  type Obfs4Packet,
  type Obfs4Role,
} from "./packet.js";
export {
  IAT_DELAY_UNIT_MICROS,
  IAT_MODE_ENABLED,
  IAT_MODE_NONE,
  IAT_MODE_PARANOID,
  MAX_IAT_DELAY,
  MAX_LENGTH_SAMPLE,
  MAX_PARANOID_ZERO_DRAWS,
  Obfs4Shaper,
  createIatDist,
  createLengthDist,
  padBurstPlan,
  paddingPlanLength,
  type ShapedWrite,
  type ShaperOptions,
  type ShapingDist,
  type WriteChunk,
} from "./iat.js";
export {
  MAX_PROBDIST_RANGE,
  PROBDIST_MAX_VALUES,
  PROBDIST_MIN_VALUES,
  WeightedDist,
  deriveIatSeed,
  type SamplingRand,
} from "./probdist.js";
export {
  CSRAND_POOL_BYTES,
  CsRandSource,
  GoRand,
  createCsRand,
  csIntRange,
  type Int63Source,
  type RandomBytesFn,
} from "./probdist-go-rand.js";
export type { FrameSink } from "./framing.js";
