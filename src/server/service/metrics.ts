/**
 * The optional metrics endpoint: `GET /metrics` in the Prometheus text
 * exposition format (version 0.0.4), and `GET /stats.json` with the same
 * figures as `getStats()`. Meant for loopback or a private network: it
 * carries no client addresses, but it does reveal that this host is a bridge,
 * so it warns when bound elsewhere.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseHostPort } from "../../shared/net/index.js";
import type { BridgeStats } from "./manager.js";

export interface MetricsServer {
  /** host:port it listens on. */
  readonly address: string;
  close(): Promise<void>;
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly samples: readonly (readonly [labels: Record<string, string>, value: number])[];
}

const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Formats the stats as Prometheus text; pure, so it is unit-tested without a server. */
export function formatPrometheus(stats: BridgeStats): string {
  const per = (
    name: string,
    help: string,
    type: Metric["type"],
    pick: (t: BridgeStats["transports"][number]) => number,
  ): Metric => ({ name, help, type, samples: stats.transports.map((t) => [{ transport: t.transport }, pick(t)]) });
  const metrics: Metric[] = [
    {
      name: "webpt_uptime_seconds",
      help: "Seconds since the server started.",
      type: "gauge",
      samples: [[{}, stats.uptimeSeconds]],
    },
    per("webpt_connections_open", "Authenticated client connections open now.", "gauge", (t) => t.connectionsOpen),
    per(
      "webpt_connections_total",
      "Authenticated client connections since start.",
      "counter",
      (t) => t.connectionsTotal,
    ),
    per("webpt_bytes_up_total", "Payload bytes from clients to their destination.", "counter", (t) => t.bytesUp),
    per("webpt_bytes_down_total", "Payload bytes from destinations to clients.", "counter", (t) => t.bytesDown),
    per("webpt_handshakes_total", "obfs4 handshakes begun.", "counter", (t) => t.handshakes.accepted),
    per(
      "webpt_handshake_failures_total",
      "obfs4 handshakes that failed or timed out (never answered).",
      "counter",
      (t) => t.handshakes.failed,
    ),
    per(
      "webpt_handshakes_dropped_total",
      "Carriers refused because too many handshakes were pending.",
      "counter",
      (t) => t.handshakes.dropped,
    ),
    per("webpt_declined_total", "Requests answered as the cover site.", "counter", (t) => t.declined),
    per(
      "webpt_refused_total",
      "Authenticated streams whose destination was refused or unreachable.",
      "counter",
      (t) => t.refused,
    ),
  ];
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const [labels, value] of m.samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(",");
      lines.push(`${m.name}${l === "" ? "" : `{${l}}`} ${value}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Starts the endpoint on `hostPort` ("127.0.0.1:9100"). */
export async function startMetricsServer(hostPort: string, stats: () => BridgeStats): Promise<MetricsServer> {
  const bind = parseHostPort(hostPort, { allowZeroPort: true });
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : formatPrometheus(stats()));
    } else if (path === "/stats.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(stats()));
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found\n");
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
