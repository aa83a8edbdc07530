/** `webpt <subcommand>`: the entry point; each subcommand lives in its own module. */
import { runManagedServer } from "./server-main.js";

const USAGE = `usage: webpt <command> [options]

  server    the PT server, run by tor (ServerTransportPlugin obfs4 exec /path/to/webpt server)
  --help    this text
`;

export async function main(argv: readonly string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "server":
      process.exitCode = await runManagedServer(process.env, rest);
      // Listeners and sockets may still hold the loop open after a graceful stop.
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
