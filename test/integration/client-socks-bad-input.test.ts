/**
 * Hostile and broken input at `webpt client`'s SOCKS port (issue 5): each gets
 * the reply code RFC 1928 / PT 2.1 §1.4 call for, or a plain close, and the
 * process keeps serving good clients afterwards. Raw bytes, not our codec,
 * so the test cannot share a bug with what it tests.
 */
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { socksDial } from "../../src/server/net/socks-dial.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = (role: string) => [process.execPath, path.join(root, "bin/webpt.js"), role] as const;

let client: PtProcess;
let server: PtProcess;
let echo: net.Server;
beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  server = await launchPt({
    command: WEBPT("server"),
    role: "server",
    transports: ["obfs4"],
    env: {
      TOR_PT_SERVER_BINDADDR: "obfs4-127.0.0.1:0",
      TOR_PT_ORPORT: `127.0.0.1:${(echo.address() as net.AddressInfo).port}`,
    },
  });
  client = await launchPt({ command: WEBPT("client"), role: "client", versions: "2", transports: ["obfs4"] });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  await new Promise<void>((r) => echo.close(() => r()));
});

/** Sends each piece in turn, then collects what comes back until the client closes (or `waitMs` passes). */
async function converse(pieces: Buffer[], waitMs = 3000): Promise<{ reply: string; closed: boolean }> {
  const { host, port } = client.cmethods[0]!.address;
  const sock = net.connect(port, host);
  sock.on("error", () => undefined);
  const got: Buffer[] = [];
  sock.on("data", (d: Buffer) => got.push(d));
  const closedAt = new Promise<true>((resolve) => sock.once("close", () => resolve(true)));
  await new Promise((r) => sock.once("connect", r));
  for (const p of pieces) {
    sock.write(p);
    await new Promise((r) => setTimeout(r, 20));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    closedAt,
    new Promise<false>((r) => (timer = setTimeout(() => r(false), waitMs))),
  ]);
  clearTimeout(timer);
  sock.destroy();
  return { reply: Buffer.concat(got).toString("hex"), closed };
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const u32 = (n: number): string => n.toString(16).padStart(8, "0");
const CONNECT_V4 = "05 01 00 01 7f000001 0009"; // CONNECT 127.0.0.1:9
const jsonBlock = (text: string): string => u32(Buffer.byteLength(text)) + Buffer.from(text).toString("hex");

describe("webpt client's SOCKS port under bad input", () => {
  it.each([
    // [name, pieces, expected reply (hex), closes]
    ["a greeting cut short is waited for (until the deadline)", ["05"], "", false],
    ["SOCKS version 6", ["06 01 00"], "", true],
    ["no method we accept (GSSAPI only)", ["05 01 01"], "05ff", true],
    ["zero methods", ["05 00"], "05ff", true],
    [
      "a 0x09 block longer than 16 KiB (X'10' at once)",
      ["05 01 09", u32(16 * 1024 + 1)],
      "0509" + "05100001000000000000",
      true,
    ],
    [
      "a 0x09 block that is not JSON (X'12')",
      ["05 01 09", jsonBlock("{nope"), CONNECT_V4],
      "0509" + "05120001000000000000",
      true,
    ],
    [
      "a 0x09 block with a bad cert (X'13')",
      ["05 01 09", jsonBlock('{"cert":"AAAA"}'), CONNECT_V4],
      "0509" + "05130001000000000000",
      true,
    ],
    [
      "a 0x09 block with an unknown key (X'13', strict in JSON)",
      ["05 01 09", jsonBlock('{"bogus":"1"}'), CONNECT_V4],
      "0509" + "05130001000000000000",
      true,
    ],
    ["no args at all (X'13')", ["05 01 00", CONNECT_V4], "0500" + "05130001000000000000", true],
    ["an empty domain name", ["05 01 00", "05 01 00 03 00 0009"], "0500", true],
    ["random bytes", [patternBytes("random", 1024).toString("hex")], "", true],
  ])("%s", async (_name, pieces, reply, closes) => {
    const r = await converse(pieces.map(hex));
    expect(r.reply.startsWith(reply)).toBe(true);
    if (reply === "") expect(r.reply).toBe("");
    expect(r.closed).toBe(closes);
  });

  it.each([
    ["a BIND request (X'07')", "05 02 00 01 7f000001 0009", "05070001000000000000"],
    ["an unknown address type (X'08')", "05 01 00 07 7f000001 0009", "05080001000000000000"],
  ])("with valid args, answers %s", async (_name, request, reply) => {
    const m = server.smethods[0]!;
    const args = JSON.stringify(Object.fromEntries([...(m.args ?? new Map())].map(([k, v]) => [k, v[0]!])));
    const r = await converse([hex("05 01 09"), hex(jsonBlock(args)), hex(request)]);
    expect(r).toEqual({ reply: "0509" + reply, closed: true });
  });

  it("answers a 0x09 block that never finishes with X'11' after the settings timeout", async () => {
    const r = await converse([hex("05 01 09"), hex(u32(100) + "7b")], 8000);
    expect(r.reply).toBe("0509" + "05110001000000000000");
    expect(r.closed).toBe(true);
  }, 15_000);

  it("closes a client that stalls in the greeting (slowloris) without a reply", async () => {
    const r = await converse([hex("05")], 12_000);
    expect(r).toEqual({ reply: "", closed: true });
  }, 15_000);

  it("still serves a good client afterwards, with an IPv6-literal-free PT 2.1 dial", async () => {
    const m = server.smethods[0]!;
    const sock = await socksDial({
      proxy: client.cmethods[0]!.address,
      target: m.address,
      ptVersion: "2",
      args: Object.fromEntries([...(m.args ?? new Map())].map(([k, v]) => [k, v[0]!])),
    });
    const data = patternBytes("after-abuse", 256 * 1024);
    expect(await exchange(sock, data, data.length, 20_000)).toEqual({ received: data.length, sha256: sha256(data) });
  });
});
