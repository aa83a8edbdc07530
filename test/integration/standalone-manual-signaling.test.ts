/**
 * Manual WebRTC signaling through the real CLI, as a person would do it when
 * the signaling endpoint is blocked: the client makes a `webpt-offer:` text,
 * the operator pastes it into `webpt server --standalone --manual-signaling`,
 * which prints a `webpt-answer:` text; the client takes it and the
 * DataChannel carries obfs4 to the server's bound target.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createManualOffer } from "../../src/server/carriers/webrtc/dial.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { parseBridgeLine, settingsFromBridgeLine, type WebRtcSettings } from "../../src/shared/settings/index.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const BIN = path.resolve(import.meta.dirname, "../../bin/webpt.js");
const cleanup: (() => void)[] = [];
afterAll(() => cleanup.forEach((f) => f()));

it("answers a pasted offer and the DataChannel carries 1 MiB each way", async () => {
  const echo = net.createServer((s) => {
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  cleanup.push(() => echo.close());
  const state = await mkdtemp(path.join(tmpdir(), "webpt-manual-"));
  const target = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
  const child = spawn(
    process.execPath,
    [
      BIN,
      "server",
      "--standalone",
      "--state",
      state,
      "--transports",
      "webrtc",
      "--webrtc-port",
      "0",
      "--target",
      target,
      "--manual-signaling",
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  cleanup.push(() => child.kill("SIGTERM"));
  let out = "";
  const seen = (re: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${String(re)} in ${out}`)), 20_000);
      const check = (): void => {
        const m = re.exec(out);
        if (m === null) return;
        clearTimeout(timer);
        child.stdout.off("data", check);
        resolve(m);
      };
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        check();
      });
      check();
    });
  const line = (await seen(/^Bridge (webrtc .*)$/m))[1]!;
  await seen(/paste a webpt-offer/);
  const settings = settingsFromBridgeLine(parseBridgeLine(line)) as WebRtcSettings;
  const offer = await createManualOffer(settings);
  // Pasted as a person would: wrapped lines and a trailing newline.
  child.stdin.write(offer.text + "\n");
  const answer = (await seen(/(webpt-answer:[A-Za-z0-9_\-\s]+?)(?:\n\n|\n$|$)/))[1]!;
  const carrier = await offer.acceptManualAnswer(answer);
  const stream = await startObfs4Client(carrier, {
    nodeId: settings.nodeId,
    publicKey: settings.publicKey,
    iatMode: settings.iatMode,
  });
  const data = patternBytes("manual", 1 << 20);
  expect(await exchange(stream, data, data.length, 30_000)).toEqual({ received: data.length, sha256: sha256(data) });
}, 60_000);
