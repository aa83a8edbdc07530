/**
 * Manual signaling, bridge side: the operator receives a `webpt-offer:…`
 * text by some out-of-band channel (the seeds' `signals` pipe: e-mail, chat),
 * and this turns it into a `webpt-answer:…` text, with a peer waiting for the
 * client. Same envelope, same checks as HTTP signaling, but the operator
 * sees the errors (a mistyped paste, an offer too old), since the person
 * pasting is not a prober.
 *
 * A person is in the loop both ways, so the windows are wide: an offer may be
 * MANUAL_OFFER_MAX_AGE_MS old when answered, and the answered peer waits
 * MANUAL_CONNECT_TIMEOUT_MS for the client to paste the answer and connect.
 * Replays are refused as over HTTP, from a separate cache sized for the wider
 * window.
 */
import type { Readable, Writable } from "node:stream";
import {
  MAX_ARMORED_SIGNAL_CHARS,
  SIGNAL_MAX_CLOCK_SKEW_MS,
  SignalReplayCache,
  SignalingLimitError,
  dearmorSignal,
  armorSignal,
  openOffer,
  type ArmorOptions,
  type SignalKind,
  type SignalingServerKey,
  type X25519Function,
} from "../../../shared/codec/signaling/index.js";
import type { WebRtcAnswerer } from "./answerer.js";
import { WebRtcAnswerError } from "./answerer.js";

/** Oldest manual offer answered: a day for the text to reach the operator. */
export const MANUAL_OFFER_MAX_AGE_MS = 24 * 60 * 60_000;
/** How long an answered manual peer waits for the client to paste the answer and connect. */
export const MANUAL_CONNECT_TIMEOUT_MS = 60 * 60_000;
/** Manual offers remembered (against replays) at once; only an operator can add to it. */
export const MAX_MANUAL_REPLAY_ENTRIES = 1024;

export interface ManualAnswerContext {
  readonly identity: SignalingServerKey;
  readonly answerer: WebRtcAnswerer;
  readonly replayCache: SignalReplayCache;
  readonly x25519?: X25519Function;
  readonly now?: () => number;
  readonly connectTimeoutMs?: number;
}

/** The replay cache manual offers need (entries live as long as an offer can pass the age check). */
export function createManualReplayCache(): SignalReplayCache {
  return new SignalReplayCache({
    ttlMs: MANUAL_OFFER_MAX_AGE_MS + SIGNAL_MAX_CLOCK_SKEW_MS,
    maxEntries: MAX_MANUAL_REPLAY_ENTRIES,
  });
}

/**
 * Answers a pasted offer text; resolves with the answer text to send back.
 * Rejects with SignalingError / SignalingLimitError (the text: its prefix,
 * base64, seal, age, a replay) or WebRtcAnswerError (no room, engine failure).
 */
export async function answerManualOffer(
  ctx: ManualAnswerContext,
  text: string,
  options: ArmorOptions = {},
): Promise<string> {
  const now = (ctx.now ?? Date.now)();
  const opened = openOffer(dearmorSignal("offer", text), ctx.identity, {
    now,
    maxAgeMs: MANUAL_OFFER_MAX_AGE_MS,
    maxFutureMs: SIGNAL_MAX_CLOCK_SKEW_MS,
    ...(ctx.x25519 && { x25519: ctx.x25519 }),
  });
  if (!ctx.answerer.hasRoom()) throw new WebRtcAnswerError("ERR_RTC_BUSY", "no room for another peer; try later");
  ctx.replayCache.remember(opened.replayKey, now);
  // The answer reaches the client by hand, minutes from now: we never start checks ourselves (answerer.ts).
  const sdp = await ctx.answerer.answer(opened.sdp, {
    connectTimeoutMs: ctx.connectTimeoutMs ?? MANUAL_CONNECT_TIMEOUT_MS,
    candidatesAfter: null,
  });
  return armorSignal("answer", opened.sealAnswer(sdp), options);
}

/**
 * Reads pasted signaling text from a stream (a terminal's stdin): until
 * `isComplete(text)` says the text so far is whole (checked after each line,
 * so a person need not type an end-of-file), or the stream ends. Bounded by
 * MAX_ARMORED_SIGNAL_CHARS.
 */
export async function readSignalText(input: Readable, isComplete: (text: string) => boolean): Promise<string> {
  let text = "";
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    if (text.length > MAX_ARMORED_SIGNAL_CHARS) {
      throw new SignalingLimitError(
        "ERR_SIGNAL_TOO_LARGE",
        `pasted text has at most ${MAX_ARMORED_SIGNAL_CHARS} characters`,
        MAX_ARMORED_SIGNAL_CHARS,
      );
    }
    if (/\r?\n/.test(typeof chunk === "string" ? chunk : chunk.toString("latin1")) && isComplete(text)) break;
  }
  return text;
}

/** Whether `text` is a whole armored message of `kind`: it dearmors, and `opens` accepts the bytes. */
export function isWholeSignal(kind: SignalKind, text: string, opens: (bytes: Uint8Array) => boolean): boolean {
  let bytes: Uint8Array;
  try {
    bytes = dearmorSignal(kind, text);
  } catch {
    return false;
  }
  return opens(bytes);
}

/**
 * The CLI entry (`webpt server answer-offer`): reads an offer text from
 * `input` (complete once it opens with the bridge key, or at end of input),
 * writes the answer text and a newline to `output`. `answer` is a running
 * webrtc transport's `answerManualOffer`. Rejects as answerManualOffer does.
 */
export async function answerOfferFromStream(
  answer: (text: string) => Promise<string>,
  identity: SignalingServerKey,
  input: Readable,
  output: Writable,
): Promise<void> {
  const opens = (bytes: Uint8Array): boolean => {
    try {
      openOffer(bytes, identity, { maxAgeMs: Number.MAX_SAFE_INTEGER, maxFutureMs: Number.MAX_SAFE_INTEGER });
      return true;
    } catch {
      return false;
    }
  };
  const text = await readSignalText(input, (t) => isWholeSignal("offer", t, opens));
  const reply = await answer(text);
  await new Promise<void>((resolve, reject) =>
    output.write(reply + "\n", (err) => (err === null || err === undefined ? resolve() : reject(err))),
  );
}
