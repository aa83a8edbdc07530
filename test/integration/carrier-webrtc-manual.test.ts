/**
 * Manual signaling (the seeds' `signals` pipe): the client's offer and the
 * bridge's answer as copy-paste text, with no HTTP at all between them. The
 * text goes through what copying does to it (re-wrapping, indentation), the
 * answer is pasted back seconds later, and obfs4 then runs over the channel.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { armorSignal, sealOffer } from "../../src/shared/codec/signaling/index.js";
import { createManualOffer, type ManualWebRtcOffer } from "../../src/server/carriers/webrtc/index.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { exchange } from "../helpers/bulk.js";
import { LOOPBACK, startBridge, type StartedBridge } from "./carrier-webrtc-helpers.js";

let bridge: StartedBridge | undefined;
let offer: ManualWebRtcOffer | undefined;

afterEach(async () => {
  offer?.close();
  offer = undefined;
  await bridge?.stop();
  bridge = undefined;
});

/** What an e-mail client might do to the text: re-wrap at 50 columns, quote-indent, CRLF. */
function mangle(text: string): string {
  const flat = text.replace(/\s+/g, "");
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += 50) lines.push("   " + flat.slice(i, i + 50));
  return lines.join("\r\n") + "\r\n";
}

async function pingPong(carrier: Awaited<ReturnType<ManualWebRtcOffer["acceptManualAnswer"]>>, b: StartedBridge) {
  const client = await startObfs4Client(carrier, b.settings, { timeoutMs: 15_000 });
  client.on("error", () => undefined);
  const [server, info] = await b.nextStream();
  const [atClient, atServer] = await Promise.all([
    exchange(client, Buffer.from("manual ping"), 11, 15_000),
    exchange(server, Buffer.from("manual pong"), 11, 15_000),
  ]);
  return { atClient, atServer, info };
}

describe("manual signaling", () => {
  it("offer text → answer text → obfs4 over the channel, text mangled on the way both ways", async () => {
    bridge = await startBridge();
    offer = await createManualOffer(bridge.settings, { hostAddresses: LOOPBACK });
    expect(offer.text).toMatch(/^webpt-offer:\n[A-Za-z0-9_-]{64}\n/);
    const answer = await bridge.transport.answerManualOffer(mangle(offer.text));
    expect(answer).toMatch(/^webpt-answer:\n[A-Za-z0-9_-]+/);
    expect(bridge.transport.answerer.pendingPeers).toBe(1);
    // The person takes a while to paste it back; the bridge's peer waits without checking on its own.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const carrier = await offer.acceptManualAnswer(mangle(answer));
    const { atClient, atServer, info } = await pingPong(carrier, bridge);
    expect(atClient.received).toBe(11);
    expect(atServer.received).toBe(11);
    expect(info.remoteAddress).toBe("127.0.0.1");
    expect(bridge.transport.carrier.answered).toBe(0); // no HTTP signaling happened
  }, 30_000);

  it("answerOfferFromStream reads a pasted offer line by line, with no end-of-file, and writes the answer", async () => {
    bridge = await startBridge();
    offer = await createManualOffer(bridge.settings, { hostAddresses: LOOPBACK });
    const input = new PassThrough();
    const output = new PassThrough();
    const done = bridge.transport.answerOfferFromStream(input, output);
    for (const line of ("  " + offer.text).split("\n")) {
      input.write(line + "\n");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await done; // resolved without input.end(): the text was recognised as whole
    const written = (output.read() as Buffer).toString();
    expect(written.endsWith("\n")).toBe(true);
    const carrier = await offer.acceptManualAnswer(written);
    const { atServer } = await pingPong(carrier, bridge);
    expect(atServer.received).toBe(11);
  }, 30_000);

  it("tells the operator what is wrong: other kind, tampering, replay, an offer a day old", async () => {
    bridge = await startBridge();
    offer = await createManualOffer(bridge.settings, { hostAddresses: LOOPBACK });
    const t = bridge.transport;
    await expect(t.answerManualOffer(offer.text.replace("webpt-offer:", "webpt-answer:"))).rejects.toMatchObject({
      code: "ERR_SIGNAL_ARMOR",
    });
    const lines = offer.text.split("\n");
    const tampered = [lines[0], lines[1]!.replace(/^./, (c) => (c === "A" ? "B" : "A")), ...lines.slice(2)].join("\n");
    await expect(t.answerManualOffer(tampered)).rejects.toMatchObject({ code: "ERR_SIGNAL_BAD_SEAL" });
    await t.answerManualOffer(offer.text);
    await expect(t.answerManualOffer(offer.text)).rejects.toMatchObject({ code: "ERR_SIGNAL_REPLAY" });

    const sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    const old = armorSignal("offer", sealOffer(sdp, bridge.state, { now: Date.now() - 25 * 3_600_000 }).bytes);
    await expect(t.answerManualOffer(old)).rejects.toMatchObject({ code: "ERR_SIGNAL_STALE" });
    expect(t.answerer.peersTotal).toBe(1); // only the good offer made a peer
  }, 30_000);

  it("a mistyped answer leaves the client's offer usable for the right one", async () => {
    bridge = await startBridge();
    offer = await createManualOffer(bridge.settings, { hostAddresses: LOOPBACK });
    const answer = await bridge.transport.answerManualOffer(offer.text);
    await expect(offer.acceptManualAnswer(answer.slice(0, -5))).rejects.toMatchObject({ name: "SignalingError" });
    await expect(offer.acceptManualAnswer(offer.text)).rejects.toMatchObject({ code: "ERR_SIGNAL_ARMOR" });
    const carrier = await offer.acceptManualAnswer(answer);
    const { atClient } = await pingPong(carrier, bridge);
    expect(atClient.received).toBe(11);
    await expect(offer.acceptManualAnswer(answer)).rejects.toMatchObject({ code: "ERR_RTC_OFFER_USED" });
  }, 30_000);
});
