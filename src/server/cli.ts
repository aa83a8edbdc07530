/** `webpt <subcommand>`: entry point. Subcommands arrive with their issues. */
export function main(argv: readonly string[]): void {
  const [cmd] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h") {
    process.stdout.write("usage: webpt <server|client|conformance> [options]\n");
    return;
  }
  process.stderr.write(`webpt: unknown subcommand ${JSON.stringify(cmd)}\n`);
  process.exitCode = 64;
}
