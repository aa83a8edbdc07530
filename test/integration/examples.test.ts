/** The README's runnable examples, run as a reader would run them (`node examples/…`), against the built package. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

it("examples/node-api.mjs: a websocket server and client from the Transport API echo a message", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, "examples/node-api.mjs")], {
    cwd: root,
    timeout: 20_000,
  });
  expect(stdout).toMatch(
    /^connected\necho(ed)?: hello \{[^}]*transport: 'websocket'[^}]*bytesSent: 5[^}]*bytesReceived: 5/s,
  );
});
