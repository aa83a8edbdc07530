/**
 * `webpt client --bridge '<bridge line or share link>'`: the client without
 * tor, for browsers and other SOCKS apps. It opens one local SOCKS5 port and
 * sends every connection to that bridge: in free mode (the standalone
 * server's default) the app's destination is passed on with SOCKS5 inside
 * the tunnel; in bound mode the server decides where bytes go.
 */
import { parseProxyUri, type UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import { parseHostPort } from "../../shared/net/index.js";
import { parseBridgeInput, settingsFromBridgeLine } from "../../shared/settings/index.js";
import { scrubAddresses } from "../pt/ipc-out.js";
import type { Logger } from "../service/types.js";
import { startSocksFront } from "./socks-front.js";

export const DEFAULT_CLIENT_LISTEN = "127.0.0.1:1080";
const EXIT_USAGE = 64;

export const STANDALONE_CLIENT_HELP = `usage: webpt client --bridge '<bridge line or web+webpt:// link>' [options]

Opens a local SOCKS5 port that reaches the internet through the bridge.

  --bridge LINE       the bridge line or share link the bridge's operator gave you (required)
  --listen HOST:PORT  where to listen (default ${DEFAULT_CLIENT_LISTEN}; keep it on loopback)
  --mode free|bound   free (default): your apps name destinations and the bridge connects to them;
                      bound: the bridge connects every connection to its one fixed target
  --proxy URI         reach the bridge through socks5://, socks4a:// or http:// (never around it)
  --unsafe-logging    keep addresses in the log
`;

function flags(argv: readonly string[]): Map<string, string> | string {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/s.exec(a);
    if (m === null) return `unexpected argument ${JSON.stringify(a)}`;
    const name = m[1]!;
    if (name === "help" || name === "h" || name === "unsafe-logging") {
      out.set(name, "");
      continue;
    }
    if (!["bridge", "listen", "mode", "proxy"].includes(name)) return `unknown flag --${name}`;
    const value = m[2] ?? argv[++i];
    if (value === undefined) return `--${name} needs a value`;
    out.set(name, value);
  }
  return out;
}

export async function runStandaloneClient(argv: readonly string[]): Promise<number> {
  const f = flags(argv);
  if (typeof f === "string" || (!f.has("bridge") && !f.has("help") && !f.has("h"))) {
    process.stderr.write(
      `webpt client: ${typeof f === "string" ? f : "--bridge is required"}\n\n${STANDALONE_CLIENT_HELP}`,
    );
    return EXIT_USAGE;
  }
  if (f.has("help") || f.has("h")) {
    process.stdout.write(STANDALONE_CLIENT_HELP);
    return 0;
  }
  const unsafe = f.has("unsafe-logging");
  const log: Logger = {
    log: (severity, message) =>
      process.stderr.write(`${new Date().toISOString()} [${severity}] ${unsafe ? message : scrubAddresses(message)}\n`),
  };
  let bridge;
  let proxy: UpstreamProxy | undefined;
  let listen;
  try {
    bridge = parseBridgeInput(f.get("bridge")!).bridge;
    if (!bridge.known) throw new Error(`webpt does not implement the ${bridge.transport} transport`);
    const mode = f.get("mode") ?? "free";
    if (mode !== "free" && mode !== "bound") throw new Error(`--mode must be free or bound, not ${mode}`);
    const proxyText = f.get("proxy");
    proxy = proxyText === undefined ? undefined : parseProxyUri(proxyText);
    listen = parseHostPort(f.get("listen") ?? DEFAULT_CLIENT_LISTEN, { allowZeroPort: true });
    const settings = settingsFromBridgeLine(bridge);
    const front = await startSocksFront({
      transport: settings.transport,
      bind: listen,
      proxy,
      log,
      defaultSettings: settings,
      bridge: { host: bridge.host, port: bridge.port, free: mode === "free" },
    });
    const at = `${front.address.family === "IPv6" ? `[${front.address.address}]` : front.address.address}:${front.address.port}`;
    process.stdout.write(
      `webpt client: SOCKS5 on ${at} → ${settings.transport} bridge (${mode} mode)\n` +
        `Point your browser or app at socks5h://${at} (e.g. curl --socks5-hostname ${at} https://example.org/)\n`,
    );
    return await new Promise<number>((resolve) => {
      const stop = (): void => {
        void front.stopAccepting();
        front.closeAll();
        resolve(0);
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  } catch (err) {
    process.stderr.write(`webpt client: ${(err as Error).message}\n`);
    return EXIT_USAGE;
  }
}
