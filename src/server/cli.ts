/** `webpt <subcommand>`: the entry point; each subcommand lives in its own module. */
import { runManagedClient } from "./client/client-main.js";
import { runManagedServer } from "./server-main.js";
import { runStandalone } from "./standalone/run.js";

const USAGE = `usage: webpt <command> [options]

  server    the PT server, run by tor (ServerTransportPlugin obfs4,websocket exec /path/to/webpt server)
  server --standalone [options]
            the same server without tor: prints bridge lines and share links (--help for options)
  standalone  the same as server --standalone
  client    the PT client, run by tor (ClientTransportPlugin obfs4,websocket exec /path/to/webpt client)
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
    case "standalone":
      process.exitCode = await runStandalone(rest, process.env);
      setImmediate(() => process.exit());
      return;
    case "client":
      process.exitCode = await runManagedClient(process.env, rest);
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
