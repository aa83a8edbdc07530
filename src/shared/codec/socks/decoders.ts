import { ByteQueue } from "../../bytes/byte-queue.js";
import { UnexpectedEOFError } from "../../errors.js";
import type { StreamDecoder } from "../decoder.js";
import { MAX_JSON_PARAM_BYTES } from "./constants.js";
import { type JsonParams, parseJsonParams } from "./json-params.js";
import {
  type MethodSelection,
  type Socks5Greeting,
  type Socks5ReplyMessage,
  type Socks5Request,
  type UserPassReply,
  type UserPassRequest,
  takeGreeting,
  takeMethodSelection,
  takeParamBlock,
  takeSocks5Reply,
  takeSocks5Request,
  takeUserPassReply,
  takeUserPassRequest,
} from "./messages.js";
import { type Socks4ReplyMessage, type Socks4Request, takeSocks4Reply, takeSocks4Request } from "./socks4.js";

/**
 * One StreamDecoder per SOCKS message, for tests, tools and adapters that
 * need a single message rather than a whole handshake. Each wraps a `take…`
 * reader: it never buffers more than one incomplete message (every reader
 * fails as soon as a message is over its size), throws SocksError on bad
 * input, and stays poisoned after a throw (decoder.ts contract).
 */
export class SocksMessageDecoder<T> implements StreamDecoder<T> {
  readonly #queue = new ByteQueue();
  readonly #take: (q: ByteQueue) => T | undefined;
  readonly #what: string;
  #failure: unknown = undefined;
  #failed = false;

  constructor(what: string, take: (q: ByteQueue) => T | undefined) {
    this.#what = what;
    this.#take = take;
  }

  /** Bytes held while waiting for the rest of a message. */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): T[] {
    if (this.#failed) throw this.#failure;
    this.#queue.push(chunk);
    const out: T[] = [];
    try {
      for (let m = this.#take(this.#queue); m !== undefined; m = this.#take(this.#queue)) out.push(m);
    } catch (e) {
      this.#failed = true;
      this.#failure = e;
      this.#queue.clear();
      throw e;
    }
    return out;
  }

  finish(): void {
    if (this.#failed) throw this.#failure;
    if (this.#queue.length > 0) throw new UnexpectedEOFError(this.#what, this.#queue.length);
  }
}

export const greetingDecoder = (): SocksMessageDecoder<Socks5Greeting> =>
  new SocksMessageDecoder("a SOCKS5 greeting", takeGreeting);

export const methodSelectionDecoder = (): SocksMessageDecoder<MethodSelection> =>
  new SocksMessageDecoder("a SOCKS5 method selection", takeMethodSelection);

export const userPassRequestDecoder = (): SocksMessageDecoder<UserPassRequest> =>
  new SocksMessageDecoder("an RFC 1929 request", takeUserPassRequest);

export const userPassReplyDecoder = (): SocksMessageDecoder<UserPassReply> =>
  new SocksMessageDecoder("an RFC 1929 reply", takeUserPassReply);

export const socks5RequestDecoder = (): SocksMessageDecoder<Socks5Request> =>
  new SocksMessageDecoder("a SOCKS5 request", takeSocks5Request);

export const socks5ReplyDecoder = (): SocksMessageDecoder<Socks5ReplyMessage> =>
  new SocksMessageDecoder("a SOCKS5 reply", takeSocks5Reply);

export const socks4RequestDecoder = (): SocksMessageDecoder<Socks4Request> =>
  new SocksMessageDecoder("a SOCKS4 request", takeSocks4Request);

export const socks4ReplyDecoder = (): SocksMessageDecoder<Socks4ReplyMessage> =>
  new SocksMessageDecoder("a SOCKS4 reply", takeSocks4Reply);

/** A 0x09 parameter block, parsed strictly; errors carry REP X'10' or X'12'. */
export const paramBlockDecoder = (maxBytes = MAX_JSON_PARAM_BYTES): SocksMessageDecoder<JsonParams> =>
  new SocksMessageDecoder("a JSON parameter block", (q) => {
    const body = takeParamBlock(q, maxBytes);
    return body === undefined ? undefined : parseJsonParams(body);
  });
