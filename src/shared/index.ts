// webpt/shared: the runtime-neutral core that the server, the Node client, the
// extension and outside web apps all import.
export * from "./errors.js";
export * from "./bytes/index.js";
export type { StreamDecoder } from "./codec/decoder.js";
