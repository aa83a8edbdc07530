/**
 * Keys for the network's directory authority, made before any tor starts:
 * every node's torrc names the authority by its v3 identity (the
 * authority_certificate's `fingerprint`) and its relay identity (RSA, from
 * DataDirectory/fingerprint), so both must exist first. As chutney does:
 * `tor-gencert --create-identity-key` for the v3 keys (dir-spec §3.1, key
 * certificates), and `tor --list-fingerprint` to make the relay keys in the
 * authority's DataDirectory without starting it. The two run in parallel;
 * tor-gencert's 3072-bit RSA identity is the slow one (1–4 s on a busy 2-core box).
 */
import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { TOR } from "../tor.js";
import { readFingerprintFile } from "./tor-process.js";

const run = promisify(execFile);

/** Debian ships tor-gencert in the `tor` package itself (/usr/bin/tor-gencert). */
export const TOR_GENCERT = process.env.TOR_GENCERT ?? "/usr/bin/tor-gencert";
/** The authority's signing-key certificate lifetime; the network lives for minutes. */
const CERT_LIFETIME_MONTHS = 12;
const KEYGEN_TIMEOUT_MS = 60_000;

export interface AuthorityKeys {
  /** The v3 identity: `fingerprint` of authority_certificate, 40 uppercase hex digits. */
  readonly v3Ident: string;
  /** The relay (RSA) identity, 40 uppercase hex digits, as in the DirAuthority line. */
  readonly fingerprint: string;
}

/** Fails loudly (never skips) when tor-gencert is missing. */
export async function requireTorGencert(): Promise<string> {
  try {
    await access(TOR_GENCERT, constants.X_OK);
  } catch (err) {
    throw new Error(`${TOR_GENCERT} is missing; Debian's tor package ships it (scripts/setup.sh installs tor)`, {
      cause: err,
    });
  }
  return TOR_GENCERT;
}

/**
 * Makes the authority's v3 and relay keys in `dataDir` (created 0700). The
 * certificate gets no `dir-address` (tor-gencert -a): tor would prefer it to
 * the DirAuthority line, and the ports are picked only once the keys exist,
 * so that no one else takes them meanwhile.
 */
export async function makeAuthorityKeys(dataDir: string): Promise<AuthorityKeys> {
  const gencert = await requireTorGencert();
  const keys = path.join(dataDir, "keys");
  await mkdir(keys, { recursive: true, mode: 0o700 });
  const cert = path.join(keys, "authority_certificate");
  const v3 = new Promise<void>((resolve, reject) => {
    const child = execFile(
      gencert,
      [
        "--create-identity-key",
        ...["-m", String(CERT_LIFETIME_MONTHS)],
        ...["-i", path.join(keys, "authority_identity_key")],
        ...["-s", path.join(keys, "authority_signing_key")],
        ...["-c", cert],
        ...["--passphrase-fd", "0"],
      ],
      { timeout: KEYGEN_TIMEOUT_MS },
      (err, _stdout, stderr) => (err ? reject(new Error(`tor-gencert failed: ${stderr}`, { cause: err })) : resolve()),
    );
    // An empty passphrase: the identity key stays unencrypted, as chutney leaves it.
    child.stdin?.end("\n");
  });
  const relay = run(
    TOR,
    [
      ...["--ignore-missing-torrc", "-f", "/dev/null", "--defaults-torrc", "/dev/null", "--quiet"],
      ...["--DataDirectory", dataDir, "--list-fingerprint", "--ORPort", "1"],
      // A made-up authority, so not even this one-shot tor loads the real ones.
      ...["--DirAuthority", "keygen 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff"],
    ],
    { timeout: KEYGEN_TIMEOUT_MS },
  );
  await Promise.all([v3, relay]);
  const v3Ident = /^fingerprint ([0-9A-F]{40})$/m.exec(await readFile(cert, "utf8"))?.[1];
  if (v3Ident === undefined) throw new Error(`${cert} has no fingerprint line`);
  const fingerprint = readFingerprintFile(path.join(dataDir, "fingerprint"));
  return { v3Ident, fingerprint };
}

/** The DirAuthority line every node shares (tor-manual DirAuthority; `no-v2`: v3 directory only). */
export function dirAuthorityLine(nick: string, orPort: number, dirPort: number, keys: AuthorityKeys): string {
  return `DirAuthority ${nick} orport=${orPort} no-v2 v3ident=${keys.v3Ident} 127.0.0.1:${dirPort} ${keys.fingerprint}`;
}
