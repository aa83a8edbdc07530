/**
 * The client's half of HTTP signaling: POST the sealed offer to the bridge's
 * signaling URL and return the sealed answer. Any answer but a 200 is a
 * refusal; the server gives the same cover page for a wrong URL, a wrong
 * cert, a skewed clock and a busy bridge, so the client cannot (and should
 * not be able to) tell which.
 */
import http, { type OutgoingHttpHeaders } from "node:http";
import https from "node:https";
import type { SecureContextOptions } from "node:tls";
import { MAX_SEALED_ANSWER_BYTES } from "../../../shared/codec/signaling/index.js";
import { AbortError, TimeoutError } from "../../../shared/errors.js";
import { WebRtcSignalingError } from "./errors.js";

/** Connect, TLS, the server's gathering and the response together. */
export const SIGNAL_REQUEST_TIMEOUT_MS = 30_000;

export interface PostSealedOfferOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** For https: the CA that signed the server's certificate (tests use a self-signed one). */
  readonly ca?: SecureContextOptions["ca"];
  /** Extra request headers (e.g. a browser-like User-Agent). */
  readonly headers?: OutgoingHttpHeaders;
}

function parseSignalUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new WebRtcSignalingError("ERR_RTC_SIGNAL_URL", "the signaling URL is not a URL", undefined, { cause: err });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new WebRtcSignalingError("ERR_RTC_SIGNAL_URL", `not an http: or https: URL (${u.protocol})`);
  }
  if (u.username !== "" || u.password !== "" || u.hash !== "") {
    throw new WebRtcSignalingError("ERR_RTC_SIGNAL_URL", "a signaling URL has no credentials and no fragment");
  }
  return u;
}

/** Resolves with the response body of a 200; rejects with WebRtcSignalingError, TimeoutError or AbortError. */
export function postSealedOffer(
  url: string,
  body: Uint8Array,
  options: PostSealedOfferOptions = {},
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const target = parseSignalUrl(url);
    if (options.signal?.aborted === true) {
      throw new AbortError("signaling aborted", { cause: options.signal.reason });
    }
    const timeoutMs = options.timeoutMs ?? SIGNAL_REQUEST_TIMEOUT_MS;
    const request = target.protocol === "https:" ? https.request : http.request;
    let settled = false;
    const finish = (err: Error | undefined, value?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (err !== undefined) {
        req.destroy();
        reject(err);
      } else resolve(value!);
    };
    const req = request(target, {
      method: "POST",
      headers: {
        ...options.headers,
        "Content-Type": "application/octet-stream",
        "Content-Length": body.length,
      },
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    const timer = setTimeout(
      () => finish(new TimeoutError(`signaling did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = (): void => finish(new AbortError("signaling aborted", { cause: options.signal?.reason }));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) =>
      finish(
        new WebRtcSignalingError("ERR_RTC_SIGNAL_FAILED", `signaling failed: ${err.message}`, undefined, {
          cause: err,
        }),
      ),
    );
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        finish(
          new WebRtcSignalingError(
            "ERR_RTC_SIGNAL_REFUSED",
            `the signaling endpoint answered HTTP ${res.statusCode} (wrong URL, cert or clock, or a busy bridge)`,
            res.statusCode,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_SEALED_ANSWER_BYTES) {
          finish(
            new WebRtcSignalingError(
              "ERR_RTC_SIGNAL_TOO_LARGE",
              `the answer is over ${MAX_SEALED_ANSWER_BYTES} bytes`,
              200,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => finish(undefined, new Uint8Array(Buffer.concat(chunks, size))));
      res.on("error", (err) =>
        finish(new WebRtcSignalingError("ERR_RTC_SIGNAL_FAILED", "the answer was cut off", 200, { cause: err })),
      );
      res.on("aborted", () => finish(new WebRtcSignalingError("ERR_RTC_SIGNAL_FAILED", "the answer was cut off", 200)));
    });
    req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
}
