/**
 * The -udp flags (src/server/udp/flags.ts) through the real pt-ipc config
 * parser, as `webpt client` / `webpt server` will call it, and the CMETHOD
 * line they lead to.
 */
import { describe, expect, it } from "vitest";
import {
  UDP_CLIENT_FLAGS,
  UDP_SERVER_FLAGS,
  parseIdleTimeout,
  parseUdpMode,
  readUdpClientFlags,
  readUdpServerFlags,
  udpCmethod,
} from "../../src/server/udp/index.js";
import {
  IpcError,
  formatIpcMessage,
  parseClientConfig,
  parseServerConfig,
  type PtClientConfig,
  type PtServerConfig,
} from "../../src/shared/codec/pt-ipc/index.js";

const BRIDGE =
  "obfs4 192.0.2.1:443 cert=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA iat-mode=0";
const clientEnv = { TOR_PT_MANAGED_TRANSPORT_VER: "2", TOR_PT_CLIENT_TRANSPORTS: "obfs4" };
const serverEnv = { TOR_PT_MANAGED_TRANSPORT_VER: "2", TOR_PT_SERVER_TRANSPORTS: "obfs4" };

function client(argv: string[]) {
  const r = parseClientConfig(clientEnv, argv, { extraFlags: UDP_CLIENT_FLAGS });
  const config = (r as { config: PtClientConfig }).config;
  return readUdpClientFlags(config.extraFlags, config.version);
}

function server(argv: string[], env: Record<string, string> = serverEnv) {
  const r = parseServerConfig(env, argv, { extraFlags: UDP_SERVER_FLAGS });
  const config = (r as { config: PtServerConfig }).config;
  return readUdpServerFlags(config.extraFlags, config.orport, config.version);
}

describe("client -udp flags", () => {
  it("no -udp: no UDP listener", () => {
    expect(client([])).toBeUndefined();
  });

  it.each([
    [["-udp", "transparent", "-udp-bridge", BRIDGE], { mode: "transparent", listen: { host: "127.0.0.1", port: 0 } }],
    [
      ["-udp=STUN", "-udp-bridge", BRIDGE, "-udp-listen", "[::1]:3478"],
      { mode: "stun", listen: { host: "::1", port: 3478 } },
    ],
    [
      ["--udp", "transparent-UDP", "-udp-bridge", BRIDGE, "-udp-idle-timeout", "90s", "-udp-max-flows", "8"],
      { mode: "transparent", idleTimeoutMs: 90_000, maxFlows: 8 },
    ],
  ])("%j", (argv, want) => {
    expect(client(argv)).toMatchObject({ ...want, bridge: BRIDGE });
  });

  it.each([
    [["-udp", "tcp", "-udp-bridge", BRIDGE], "ERR_PT_ENV_INVALID", "-udp: want transparent or stun"],
    [["-udp", "stun"], "ERR_PT_ENV_MISSING", "-udp needs -udp-bridge"],
    [["-udp-listen", "127.0.0.1:1"], "ERR_PT_ENV_MISSING", "-udp-listen needs -udp"],
    [["-udp", "stun", "-udp-bridge", BRIDGE, "-udp-listen", "localhost:1"], "ERR_PT_ENV_INVALID", "-udp-listen:"],
    [["-udp", "stun", "-udp-bridge", BRIDGE, "-udp-idle-timeout", "0"], "ERR_PT_ENV_INVALID", "-udp-idle-timeout"],
    [["-udp", "stun", "-udp-bridge", BRIDGE, "-udp-max-flows", "65537"], "ERR_PT_ENV_INVALID", "-udp-max-flows"],
  ])("%j is an ENV-ERROR", (argv, code, text) => {
    expect(() => client(argv)).toThrow(IpcError);
    expect(() => client(argv)).toThrow(expect.objectContaining({ code, keyword: "ENV-ERROR", exitCode: 64 }));
    expect(() => client(argv)).toThrow(text);
  });
});

describe("server -udp flags", () => {
  it("-udp-target names the Server App; without it -orport does", () => {
    expect(server(["-orport", "127.0.0.1:9", "-udp", "transparent", "-udp-target", "127.0.0.1:1194"])).toEqual({
      mode: "transparent",
      target: { host: "127.0.0.1", port: 1194, type: "ipv4" },
    });
    expect(server(["-orport", "127.0.0.1:3478", "-udp", "stun"])).toEqual({
      mode: "stun",
      target: { host: "127.0.0.1", port: 3478, type: "ipv4" },
    });
    expect(server(["-orport", "127.0.0.1:9", "-udp", "stun", "-udp-target", "turn.example:3478"])).toMatchObject({
      target: { host: "turn.example", port: 3478, type: "domain" },
    });
    expect(server(["-orport", "127.0.0.1:9"])).toBeUndefined();
  });

  it("a bad target is an ENV-ERROR", () => {
    const argv = ["-orport", "127.0.0.1:9", "-udp", "stun", "-udp-target", "127.0.0.1"];
    expect(() => server(argv)).toThrow(expect.objectContaining({ code: "ERR_PT_ENV_INVALID", keyword: "ENV-ERROR" }));
  });
});

describe("values", () => {
  it.each([
    ["300", 300_000],
    ["5m", 300_000],
    ["45s", 45_000],
    ["1500ms", 1500],
    ["1440m", 86_400_000],
  ])("idle timeout %s = %d ms", (text, ms) => expect(parseIdleTimeout(text)).toBe(ms));

  it.each(["", "0", "0ms", "1441m", "-1", "1.5s", "5h", "s"])("idle timeout %j is refused", (text) =>
    expect(parseIdleTimeout(text)).toBeUndefined(),
  );

  it.each([
    ["transparent", "transparent"],
    ["Transparent-UDP", "transparent"],
    ["STUN", "stun"],
    ["udp", undefined],
  ])("mode %s", (text, mode) => expect(parseUdpMode(text)).toBe(mode));

  it("CMETHOD lines for each mode (2.0 §3.3.2.2), refused under version 1", () => {
    const v4 = { address: "127.0.0.1", family: "IPv4", port: 1194 };
    const v6 = { address: "::1", family: "IPv6", port: 3478 };
    expect(formatIpcMessage(udpCmethod("obfs4", "transparent", v4), { version: "2" })).toBe(
      "CMETHOD obfs4 transparent-UDP 127.0.0.1:1194",
    );
    expect(formatIpcMessage(udpCmethod("obfs4", "stun", v6), { version: "2" })).toBe("CMETHOD obfs4 STUN [::1]:3478");
    expect(() => formatIpcMessage(udpCmethod("obfs4", "stun", v4), { version: "1" })).toThrow();
  });
});
