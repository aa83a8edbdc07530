/** `webpt <subcommand>`: the entry point; each subcommand lives in its own module. */
import { runManagedClient } from "./client/client-main.js";
import { runStandaloneClient } from "./client/standalone-client.js";
import { runConformance } from "./conformance/index.js";
import { runManagedServer } from "./server-main.js";
import { runStandalone } from "./standalone/run.js";

const USAGE = `usage: webpt <command> [options]

  server    the PT server, run by tor (ServerTransportPlugin obfs4,websocket exec /path/to/webpt server)
  server --standalone [options]
            the same server without tor: prints bridge lines and share links (--help for options)
  standalone  the same as server --standalone
  client    the PT client, run by tor (ClientTransportPlugin obfs4,websocket exec /path/to/webpt client)
  client --bridge '<bridge line or share link>'
            a local SOCKS5 port through that bridge, without tor (--help for options)
  conformance [--role client|server] [--json FILE] -- <command…>
            checks any PT executable against the PT specs and reports each finding with its section
  --help    this text
`;

export async function main(argv: readonly string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "server":
      process.exitCode = rest.includes("--standalone")
        ? await runStandalone(
            rest.filter((a) => a !== "--standalone"),
            process.env,
          )
        : await runManagedServer(process.env, rest);
      // Listeners and sockets may still hold the loop open after a graceful stop.
      setImmediate(() => process.exit());
      return;
    case "conformance":
      process.exitCode = await runConformance(rest);
      setImmediate(() => process.exit());
      return;
    case "standalone":
      process.exitCode = await runStandalone(rest, process.env);
      setImmediate(() => process.exit());
      return;
    case "client":
      // tor's 2.x flags have one dash (-transports); the standalone client's have two (--bridge).
      process.exitCode = rest.some((a) => a.startsWith("--") || a === "-bridge")
        ? await runStandaloneClient(rest)
        : await runManagedClient(process.env, rest);
      setImmediate(() => process.exit());
      return;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`webpt: unknown command ${JSON.stringify(cmd)}\n${USAGE}`);
      process.exitCode = 64;
  }
}
