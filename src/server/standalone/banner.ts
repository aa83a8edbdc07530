/**
 * What standalone mode prints on stdout once it is up: a short summary (as
 * `#` comments, the convention of obfs4proxy's obfs4_bridgeline.txt) and,
 * per running transport, a tor `Bridge` line and a `web+webpt://` share link
 * (src/shared/settings). Bridge lines need an IP address, so a public host
 * name is resolved for the line (the websocket URL keeps the name).
 */
import { lookup } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import { formatHost, formatHostPort, parseIp } from "../../shared/net/index.js";
import { formatBridgeLine, formatShareLink } from "../../shared/settings/index.js";
import type { BridgeServer } from "../service/manager.js";
import { isUnspecifiedHost } from "../service/options.js";
import type { RunningTransport } from "../service/types.js";
import type { StandaloneConfig } from "./config.js";
import { describePolicy } from "./policy.js";

export interface BridgeInfo {
  readonly transport: string;
  /** Where the transport listens. */
  readonly address: AddressInfo;
  /** `Bridge <transport> <ip:port> k=v …` */
  readonly bridgeLine: string;
  readonly shareLink: string;
}

export interface Banner {
  readonly bridges: readonly BridgeInfo[];
  /** The whole stdout text. */
  readonly text: string;
  /** Problems worth a log line (no public address known, a name that did not resolve). */
  readonly warnings: readonly string[];
}

/** The IP a client should dial for `t`, and a warning when we had to guess. */
async function bridgeAddress(
  t: RunningTransport,
  publicHost: string | undefined,
  resolve: (name: string) => Promise<string>,
): Promise<{ host: string; warning?: string }> {
  if (publicHost !== undefined) {
    const ip = parseIp(publicHost, { brackets: true });
    if (ip !== undefined) return { host: ip.host };
    try {
      return { host: await resolve(publicHost) };
    } catch (err) {
      const why = (err as Error).message;
      return { host: t.address.address, warning: `publicHost ${publicHost} does not resolve (${why})` };
    }
  }
  if (isUnspecifiedHost(t.address.address)) {
    return {
      host: t.address.family === "IPv6" ? "::1" : "127.0.0.1",
      warning:
        `${t.name} listens on every interface but no public host is set: ` +
        "its bridge line shows a loopback address; set --public-host",
    };
  }
  return { host: t.address.address };
}

const systemResolve = async (name: string): Promise<string> => (await lookup(name)).address;

function summary(config: StandaloneConfig): string[] {
  const lines = ["# webpt standalone server"];
  if (config.mode === "bound") {
    lines.push(`# bound mode: every connection is relayed to ${formatHostPort(config.target!)}`);
  } else {
    lines.push(
      "# free mode: clients name each destination with SOCKS5 (no auth, CONNECT) inside the tunnel.",
      "# Anyone with a line below can reach every destination this policy allows:",
      ...describePolicy(config.policy).map((l) => `#   ${l}`),
    );
  }
  lines.push(`# state: ${config.stateDir}`);
  return lines;
}

/** Formats the banner for the running transports. */
export async function formatBanner(
  server: Pick<BridgeServer, "running" | "clientArgs">,
  config: StandaloneConfig,
  resolve: (name: string) => Promise<string> = systemResolve,
): Promise<Banner> {
  const lines = summary(config);
  const bridges: BridgeInfo[] = [];
  const warnings: string[] = [];
  for (const t of server.running) {
    const { host, warning } = await bridgeAddress(t, config.publicHost, resolve);
    if (warning !== undefined) warnings.push(warning);
    const init = { transport: t.name, host, port: t.address.port, args: server.clientArgs(t) };
    let bridgeLine: string;
    let shareLink: string;
    try {
      bridgeLine = formatBridgeLine(init, { prefix: true });
      shareLink = formatShareLink(init);
    } catch (err) {
      warnings.push(`${t.name}: cannot form a bridge line: ${(err as Error).message}`);
      continue;
    }
    const at = formatHost({ host: t.address.address, type: t.address.family === "IPv6" ? "ipv6" : "ipv4" });
    lines.push("#", `# ${t.name} listening on ${at}:${t.address.port}`, bridgeLine, shareLink);
    bridges.push({ transport: t.name, address: t.address, bridgeLine, shareLink });
  }
  return { bridges, text: lines.join("\n") + "\n", warnings };
}
