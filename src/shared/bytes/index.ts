export * from "./bytes.js";
export { ByteQueue } from "./byte-queue.js";
