/**
 * The ExtServerAdapter's Extended ORPort (listenExtOrPort) against the
 * shared PT-side codec (what goptlib's DialOr does): SAFE_COOKIE, USERADDR /
 * TRANSPORT surfaced to the pre-connect callback, OKAY then the stream
 * (no byte lost at the handover), DENY, and every failure reported through
 * onError within the deadline.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenExtOrPort, type ExtOrClientInfo, type ExtOrListener } from "../../src/server/adapters/index.js";
import { ExtOrClientHandshake } from "../../src/shared/codec/extorport/index.js";

const COOKIE = new Uint8Array(randomBytes(32));

/** Dials the ExtORPort as a PT does; resolves with the socket after OKAY (and any leftover), or the error. */
function dialAsPt(
  port: number,
  opts: { cookie?: Uint8Array; userAddr?: string; transport?: string },
): Promise<{ sock: net.Socket; leftover: Buffer } | { error: unknown }> {
  return new Promise((resolve) => {
    const hs = new ExtOrClientHandshake({
      cookie: opts.cookie ?? COOKIE,
      userAddr: opts.userAddr,
      transport: opts.transport,
    });
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.on("error", () => undefined);
    const onData = (chunk: Buffer): void => {
      try {
        const step = hs.push(chunk);
        if (step.send.length > 0) sock.write(step.send);
        if (step.done) {
          sock.off("data", onData);
          sock.pause();
          resolve({ sock, leftover: Buffer.from(step.leftover) });
        }
      } catch (error) {
        sock.destroy();
        resolve({ error });
      }
    };
    sock.on("data", onData);
    sock.once("close", () => resolve({ error: new Error("closed") }));
  });
}

describe("listenExtOrPort", () => {
  let listener: ExtOrListener | undefined;
  afterEach(async () => {
    await listener?.close();
    listener = undefined;
  });

  it("OKAY: the pre-connect callback sees USERADDR/TRANSPORT, then the stream is handed over with no byte lost", async () => {
    const infos: ExtOrClientInfo[] = [];
    const got: Promise<string>[] = [];
    listener = await listenExtOrPort({
      cookie: COOKIE,
      preConnect: async (info) => {
        infos.push(info);
        await new Promise((r) => setTimeout(r, 20));
        return true;
      },
      onConnection: (sock) => {
        got.push(
          new Promise((resolve) => {
            let text = "";
            sock.on("data", (d: Buffer) => {
              text += d.toString();
              if (text === "ping") {
                sock.write("pong");
                resolve(text);
              }
            });
          }),
        );
      },
    });
    const r = await dialAsPt(listener.port, { userAddr: "1.2.3.4:5678", transport: "obfs4" });
    if (!("sock" in r)) throw new Error("handshake failed");
    // The PT relays as soon as it reads OKAY: these bytes race the handover.
    r.sock.write("ping");
    const reply = new Promise<string>((resolve) => r.sock.once("data", (d: Buffer) => resolve(d.toString())));
    r.sock.resume();
    await expect.poll(() => got.length).toBe(1);
    expect(await got[0]).toBe("ping");
    expect(await reply).toBe("pong");
    expect(infos).toEqual([{ transport: "obfs4", host: "1.2.3.4", port: 5678, family: 4 }]);
    r.sock.destroy();
  });

  it("an IPv6 USERADDR, and none at all", async () => {
    const infos: ExtOrClientInfo[] = [];
    listener = await listenExtOrPort({
      cookie: COOKIE,
      preConnect: (i) => (infos.push(i), true),
      onConnection: (s) => void s.destroy(),
    });
    await dialAsPt(listener.port, { userAddr: "[1:2::3:4]:5678", transport: "meek_lite" });
    await dialAsPt(listener.port, {});
    expect(infos).toEqual([
      { transport: "meek_lite", host: "1:2::3:4", port: 5678, family: 6 },
      { transport: undefined, host: undefined, port: undefined, family: undefined },
    ]);
  });

  it("DENY: the PT is told so, onDeny runs, onConnection does not", async () => {
    const denied: ExtOrClientInfo[] = [];
    let connections = 0;
    listener = await listenExtOrPort({
      cookie: COOKIE,
      preConnect: () => Promise.resolve(false),
      onConnection: () => void connections++,
      onDeny: (i) => denied.push(i),
    });
    const r = await dialAsPt(listener.port, { userAddr: "1.2.3.4:1", transport: "obfs4" });
    expect(r).toMatchObject({ error: { code: "ERR_EXTOR_DENIED" } });
    expect(denied).toHaveLength(1);
    expect(connections).toBe(0);
  });

  it("a PT with the wrong cookie fails SAFE_COOKIE and is reported", async () => {
    const errors: unknown[] = [];
    listener = await listenExtOrPort({ cookie: COOKIE, onConnection: () => undefined, onError: (e) => errors.push(e) });
    const r = await dialAsPt(listener.port, { cookie: new Uint8Array(32) });
    // The PT checks our ServerHash first and hangs up; we see the connection end mid-handshake.
    expect(r).toMatchObject({ error: { code: "ERR_EXTOR_BAD_SERVER_HASH" } });
    await expect.poll(() => errors.length).toBe(1);
    expect(errors[0]).toMatchObject({ code: "ERR_UNEXPECTED_EOF" });
  });

  it("a PT that never speaks is dropped at the deadline", async () => {
    const errors: unknown[] = [];
    listener = await listenExtOrPort({
      cookie: COOKIE,
      handshakeTimeoutMs: 200,
      onConnection: () => undefined,
      onError: (e) => errors.push(e),
    });
    const sock = net.connect({ host: "127.0.0.1", port: listener.port });
    sock.on("error", () => undefined);
    sock.resume();
    const closed = new Promise((r) => sock.once("close", r));
    await closed;
    expect(errors[0]).toMatchObject({ code: "ERR_TIMEOUT" });
  });

  it("a throwing pre-connect callback or connection callback closes that connection and is reported", async () => {
    const errors: unknown[] = [];
    let n = 0;
    listener = await listenExtOrPort({
      cookie: COOKIE,
      preConnect: () => {
        if (n++ === 0) throw new Error("policy exploded");
        return true;
      },
      onConnection: async () => {
        throw new Error("handler exploded");
      },
      onError: (e) => errors.push(e),
    });
    expect(await dialAsPt(listener.port, { transport: "obfs4" })).toMatchObject({ error: expect.anything() });
    const r = await dialAsPt(listener.port, { transport: "obfs4" });
    if ("sock" in r) {
      r.sock.resume();
      await new Promise((res) => r.sock.once("close", res));
    }
    await expect.poll(() => errors.length).toBe(2);
    expect((errors as Error[]).map((e) => e.message)).toEqual(["policy exploded", "handler exploded"]);
  });

  it("close() ends handed-over connections too", async () => {
    listener = await listenExtOrPort({ cookie: COOKIE, onConnection: () => undefined });
    const r = await dialAsPt(listener.port, {});
    if (!("sock" in r)) throw new Error("handshake failed");
    expect(listener.connections).toBe(1);
    const closed = new Promise((res) => r.sock.once("close", res));
    r.sock.resume();
    await listener.close();
    listener = undefined;
    await closed;
  });
});
