import { LimitError } from "../../errors.js";
import { utf8Decode, utf8Encode } from "../../bytes/bytes.js";
import { MAX_JSON_PARAM_BYTES, Socks5Reply } from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";
import { encodeParamBlock } from "./messages.js";
import { type PtArgsInput, argEntries } from "./pt-args.js";

/**
 * The PT 2.1 "JSON Parameter Block" (seed 001 §1.4): a 4-byte big-endian
 * byte count, then that many bytes of UTF-8 JSON: one map of keys to values.
 * CONFORMANCE makes it strict: exactly one object, string/number/boolean
 * values, no duplicate keys, nothing after the object but JSON whitespace.
 */

export type JsonParamValue = string | number | boolean;

/** A null-prototype record, so hostile keys such as `__proto__` stay plain data. */
export type JsonParams = Readonly<Record<string, JsonParamValue>>;

const WS = new Set([" ", "\t", "\n", "\r"]); // RFC 8259 §2: the only insignificant whitespace
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y; // RFC 8259 §6

/**
 * Parses a block body (without its length prefix). Anything but one flat
 * object of scalars is an X'12' "error parsing connection settings": the
 * shape is fixed by the serialization the spec defines, so a nested value,
 * `null`, a repeated key or trailing bytes are format errors; whether the
 * keys and values suit the transport is X'13', decided by validateArgs.
 */
export function parseJsonParams(body: Uint8Array): JsonParams {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) throw parseError("a byte-order mark");
  let text: string;
  try {
    text = utf8Decode(body);
  } catch (cause) {
    throw parseError("bytes that are not UTF-8", cause);
  }
  return new FlatObjectParser(text).parse();
}

class FlatObjectParser {
  #s: string;
  #i = 0;
  constructor(s: string) {
    this.#s = s;
  }

  parse(): JsonParams {
    const out: Record<string, JsonParamValue> = Object.create(null) as Record<string, JsonParamValue>;
    const seen = new Set<string>();
    this.#expect("{", "an object");
    if (this.#peek() === "}") this.#i++;
    else {
      for (;;) {
        if (this.#peek() !== '"') throw parseError(`a key expected at offset ${this.#i}`);
        const key = this.#string();
        if (seen.has(key)) throw parseError(`the key ${JSON.stringify(key)} twice`);
        seen.add(key);
        this.#expect(":", '":"');
        out[key] = this.#value(key);
        const c = this.#peek();
        this.#i++;
        if (c === "}") break;
        if (c !== ",") throw parseError(`"," or "}" expected at offset ${this.#i - 1}`);
      }
    }
    this.#skipWs();
    if (this.#i !== this.#s.length) throw parseError(`trailing bytes at offset ${this.#i}`);
    return out;
  }

  /** The next significant character, after skipping whitespace. */
  #peek(): string | undefined {
    this.#skipWs();
    return this.#s[this.#i];
  }

  #skipWs(): void {
    while (this.#i < this.#s.length && WS.has(this.#s[this.#i]!)) this.#i++;
  }

  #expect(c: string, what: string): void {
    if (this.#peek() !== c) throw parseError(`${what} expected at offset ${this.#i}`);
    this.#i++;
  }

  /** A string token: find its closing quote here, let JSON.parse judge its escapes. */
  #string(): string {
    const start = this.#i;
    let j = start + 1;
    while (j < this.#s.length && this.#s[j] !== '"') j += this.#s[j] === "\\" ? 2 : 1;
    if (j >= this.#s.length) throw parseError(`an unterminated string at offset ${start}`);
    this.#i = j + 1;
    try {
      return JSON.parse(this.#s.slice(start, j + 1)) as string;
    } catch (cause) {
      throw parseError(`a malformed string at offset ${start}`, cause);
    }
  }

  #value(key: string): JsonParamValue {
    const c = this.#peek();
    if (c === '"') return this.#string();
    for (const literal of [true, false]) {
      const word = String(literal);
      if (c === word[0] && this.#s.startsWith(word, this.#i)) {
        this.#i += word.length;
        return literal;
      }
    }
    NUMBER.lastIndex = this.#i;
    const m = NUMBER.exec(this.#s);
    if (m === null) throw parseError(`the value of ${JSON.stringify(key)} is not a string, number or boolean`);
    const n = Number(m[0]);
    if (!Number.isFinite(n)) throw parseError(`the number ${m[0]} is out of range`);
    this.#i += m[0].length;
    return n;
  }
}

function parseError(what: string, cause?: unknown): SocksError {
  return new SocksError(SocksErrorCode.SETTINGS_PARSE_ERROR, `JSON parameter block: ${what}`, {
    reply: Socks5Reply.SETTINGS_PARSE_ERROR,
    cause,
  });
}

/**
 * Caller args as JSON params: one scalar per key (a one-element array is
 * accepted). Throws TypeError for a repeated key or a non-scalar value, which
 * the JSON block cannot carry.
 */
export function toJsonParams(input: PtArgsInput): JsonParams {
  const out: Record<string, JsonParamValue> = Object.create(null) as Record<string, JsonParamValue>;
  for (const [k, v] of argEntries(input)) {
    if (Object.prototype.hasOwnProperty.call(out, k)) {
      throw new TypeError(`the JSON parameter block carries one value per key; ${JSON.stringify(k)} repeats`);
    }
    if (!(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) {
      throw new TypeError(`the value of ${JSON.stringify(k)} must be a string, finite number or boolean`);
    }
    out[k] = v;
  }
  return out;
}

/**
 * Seed 001 §1.4 serialization: JSON text, UTF-8, prefixed by its byte count
 * as 4 bytes big-endian. Over `maxBytes` is a LimitError (the server would
 * answer X'10').
 */
export function encodeJsonParamBlock(input: PtArgsInput, maxBytes = MAX_JSON_PARAM_BYTES): Uint8Array {
  const body = utf8Encode(JSON.stringify(toJsonParams(input)));
  if (body.length > maxBytes) {
    throw new LimitError(
      SocksErrorCode.SETTINGS_TOO_LARGE,
      `a JSON parameter block of ${body.length} bytes is over the ${maxBytes}-byte limit`,
      maxBytes,
    );
  }
  return encodeParamBlock(body);
}
