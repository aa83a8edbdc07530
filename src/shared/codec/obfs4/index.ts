// obfs4 (obfs4-spec.txt), wire-compatible with obfs4proxy 0.0.14: the
// handshake (Elligator 2, ntor, KDF, replay filter, server identity), the
// framing (secretbox frames, SipHash length masks, packets, iat shaping) and
// the sans-IO session that joins them for every carrier adapter.
export * from "./handshake-index.js";
export * from "./framing-index.js";
export * from "./session.js";
