/**
 * The contract every incremental decoder in src/shared follows (goptlib's
 * "codecs never touch sockets", ws's resumable receiver):
 *
 * - `push(chunk)` accepts any split of the byte stream, including 1-byte
 *   chunks, and returns every message completed by it (possibly none). It
 *   never buffers more than the decoder's named limit; going over throws a
 *   LimitError, malformed input a ProtocolError. After a throw the decoder is
 *   poisoned: further pushes rethrow the same error.
 * - `finish()` declares the end of the stream and throws UnexpectedEOFError
 *   if a partial message is still buffered.
 */
export interface StreamDecoder<T> {
  push(chunk: Uint8Array): T[];
  finish(): void;
}
