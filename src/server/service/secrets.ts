/**
 * Per-transport secrets kept in the state directory, so a bridge line stays
 * valid across restarts (as obfs4_state.json keeps the identity). Each
 * transport has one small JSON file, `webpt_<transport>.json`, written with
 * mode 0600 and only when it is created.
 */
import { WebptError } from "../../shared/errors.js";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** Random bytes in a generated secret path: 128 bits, as unguessable as the obfs4 node ID. */
export const SECRET_PATH_BYTES = 16;
/** A transport state file larger than this is not ours. */
export const MAX_TRANSPORT_STATE_BYTES = 4096;

export class TransportStateError extends WebptError {
  override name = "TransportStateError";
  constructor(message: string) {
    super("ERR_TRANSPORT_STATE", message);
  }
}

export function transportStateFile(stateDir: string, transport: string): string {
  return path.join(stateDir, `webpt_${transport}.json`);
}

/** A fresh secret path: `/` and 32 lowercase hex digits (URL-safe everywhere, no escaping). */
export function generateSecretPath(): string {
  return "/" + randomBytes(SECRET_PATH_BYTES).toString("hex");
}

/**
 * The transport's secret path: `configured` when the operator set one (not
 * persisted: the operator owns it), else the stored one, else a new one that
 * is stored.
 */
export async function secretPath(stateDir: string, transport: string, configured?: string): Promise<string> {
  if (configured !== undefined) return configured;
  const file = transportStateFile(stateDir, transport);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (text !== undefined) {
    if (text.length > MAX_TRANSPORT_STATE_BYTES) throw new TransportStateError(`${file} is too large`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new TransportStateError(`${file} is not JSON: ${(err as Error).message}`);
    }
    const p = (parsed as { path?: unknown } | null)?.path;
    if (typeof p !== "string" || !p.startsWith("/") || p.length < 2) {
      throw new TransportStateError(`${file} has no valid "path"`);
    }
    return p;
  }
  const fresh = generateSecretPath();
  try {
    await writeFile(file, JSON.stringify({ path: fresh }) + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    // Another instance sharing the state directory (scaling out) wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return secretPath(stateDir, transport);
    throw err;
  }
  return fresh;
}
