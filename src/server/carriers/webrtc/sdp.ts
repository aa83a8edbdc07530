/**
 * Small SDP edits the answerer needs, on the text of a complete (non-trickle)
 * local description.
 *
 * Public addresses (1:1 NAT, e.g. a cloud VM whose interface has a private
 * address): the bridge's host candidates carry the private address, which a
 * client cannot reach and which should not be published. With `public-ip`
 * set, each host candidate of the same family is rewritten to the public
 * address, keeping its port (a 1:1 NAT keeps ports), as pion's NAT1To1IPs
 * with CandidateTypeHost does. The `c=` and `o=` lines and any `raddr` that
 * carry the replaced private address are rewritten too, so it does not leak.
 * Candidate grammar: RFC 8839 §5.1
 * `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr <a> rport <p>] …`.
 */
import { parseIp } from "../../../shared/net/index.js";

/** Lines of an SDP, split on CRLF (RFC 8866 §5) or a bare LF. */
function lines(sdp: string): { lines: string[]; eol: string } {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  return { lines: sdp.split(/\r?\n/), eol };
}

function family(address: string): 4 | 6 | undefined {
  return parseIp(address, { dropZone: true })?.family;
}

/**
 * Rewrites host candidates to `publicAddresses` (at most one per family; the
 * first of each family wins). Returns `sdp` unchanged when there is nothing to do.
 */
export function advertisePublicAddresses(sdp: string, publicAddresses: readonly string[]): string {
  const byFamily = new Map<4 | 6, string>();
  for (const a of publicAddresses) {
    const ip = parseIp(a, { brackets: true });
    if (ip !== undefined && !byFamily.has(ip.family)) byFamily.set(ip.family, ip.host);
  }
  if (byFamily.size === 0) return sdp;
  const { lines: ls, eol } = lines(sdp);
  const replaced = new Map<string, string>();
  // First pass: host candidates decide which private addresses map to which public one.
  for (const line of ls) {
    const f = candidateFields(line);
    if (f === undefined || f[7] !== "host") continue;
    const fam = family(f[4]!);
    const pub = fam === undefined ? undefined : byFamily.get(fam);
    if (pub !== undefined) replaced.set(f[4]!, pub);
  }
  if (replaced.size === 0) return sdp;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of ls) {
    const f = candidateFields(line);
    let next = line;
    if (f !== undefined) {
      const prefix = line.slice(0, line.indexOf("candidate:"));
      const fields = f.map((v, i) => (i === 4 || (i > 8 && f[i - 1] === "raddr") ? (replaced.get(v) ?? v) : v));
      next = prefix + fields.join(" ");
      if (seen.has(next)) continue; // two private addresses behind one public one, same port
      seen.add(next);
    } else if (/^[co]=/.test(line)) {
      next = line.replace(/IN IP([46]) (\S+)$/, (m, fam: string, addr: string) => {
        const pub = replaced.get(addr);
        return pub === undefined ? m : `IN IP${fam} ${pub}`;
      });
    }
    out.push(next);
  }
  return out.join(eol);
}

/** The space-separated fields of an `a=candidate:` line (field 0 keeps the `candidate:` prefix), or undefined. */
function candidateFields(line: string): string[] | undefined {
  const at = line.indexOf("candidate:");
  if (at < 0 || !(line.startsWith("a=candidate:") || line.startsWith("candidate:"))) return undefined;
  const f = line.slice(at).split(" ");
  return f.length >= 8 && f[6] === "typ" ? f : undefined;
}

/** Addresses of the candidates in an SDP (for tests and logs). */
export function candidateAddresses(sdp: string): { address: string; port: number; type: string }[] {
  const out: { address: string; port: number; type: string }[] = [];
  for (const line of lines(sdp).lines) {
    const f = candidateFields(line);
    if (f !== undefined) out.push({ address: f[4]!, port: Number(f[5]), type: f[7]! });
  }
  return out;
}

/** One `a=candidate:` line as W3C RTCIceCandidateInit would carry it. */
export interface SdpCandidate {
  /** `candidate:…` (no `a=`). */
  readonly candidate: string;
  /** The `a=mid:` of its media section ("" when the section has none). */
  readonly mid: string;
}

/**
 * Takes the candidates out of a remote description: the SDP without its
 * `a=candidate:` and `a=end-of-candidates` lines, and the candidates with
 * their media section's mid, to be added later (RFC 8838 trickle). The
 * answerer uses it so that it does not start connectivity checks before the
 * client can have its answer (see answerer.ts).
 */
export function splitCandidates(sdp: string): { sdp: string; candidates: SdpCandidate[] } {
  const { lines: ls, eol } = lines(sdp);
  const kept: string[] = [];
  const candidates: SdpCandidate[] = [];
  let mid = "";
  const pending: string[] = [];
  const flush = (): void => {
    for (const c of pending) candidates.push({ candidate: c, mid });
    pending.length = 0;
  };
  for (const line of ls) {
    if (line.startsWith("m=")) {
      flush();
      mid = "";
    } else if (line.startsWith("a=mid:")) {
      mid = line.slice("a=mid:".length).trim();
    }
    if (line.startsWith("a=candidate:")) {
      pending.push(line.slice(2));
      continue;
    }
    if (line === "a=end-of-candidates") continue;
    kept.push(line);
  }
  flush();
  return { sdp: kept.join(eol), candidates };
}
