// webpt/shared: the runtime-neutral core that the server, the Node client, the
// extension and outside web apps all import. Every codec is pure code over
// Uint8Array (STYLE principle 1); adapters live in src/server and src/extension.
// Every module is exported whole; names are unique across modules (the
// compiler rejects an ambiguous `export *`), so nothing is re-exported by hand.
export * from "./errors.js";
export * from "./bytes/index.js";
export type { StreamDecoder } from "./codec/decoder.js";
export * from "./net/index.js";
export * from "./codec/pt-ipc/index.js";
export * from "./codec/socks/index.js";
export * from "./codec/extorport/index.js";
export * from "./codec/framing/index.js";
export * from "./codec/stun/index.js";
export * from "./codec/obfs4/index.js";
export * from "./codec/signaling/index.js";
export * from "./settings/index.js";
export * from "./udp/index.js";
export * from "./transport/index.js";
export * from "./webapp/index.js";
