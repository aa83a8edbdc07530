/**
 * From what a free-mode client asked for (an IP literal or a host name, and
 * a port) to the addresses we may dial. Host names are resolved here and
 * every resolved address is judged by the policy (policy.ts); the answer is
 * the list of checked addresses, and the sink dials only those, as literals,
 * so a second DNS answer can never slip in between check and connect
 * ("DNS rebinding"). The resolver is injected so tests need no DNS.
 */
import { lookup } from "node:dns/promises";
import { networkInterfaces } from "node:os";
import { parseIp } from "../../shared/net/index.js";
import { TimeoutError } from "../../shared/errors.js";
import { checkAddress, checkPort, ownAddressSet, type DestinationPolicy, type PolicyDecision } from "./policy.js";

/** How long one host-name lookup may take before the client is told "host unreachable". */
export const RESOLVE_TIMEOUT_MS = 10_000;
/** Resolved addresses judged per request; a name with more is judged by its first ones. */
export const MAX_RESOLVED_ADDRESSES = 16;

/** Resolves a host name to IP literals, in the order they should be tried. */
export type Resolver = (host: string) => Promise<readonly string[]>;

/** getaddrinfo, as every other program on the host resolves (so /etc/hosts applies: `localhost` is 127.0.0.1). */
export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface DestinationRequest {
  readonly host: string;
  readonly port: number;
}

export type DestinationVerdict =
  /** Dial these addresses (canonical IP literals, each allowed), in order. */
  | { readonly kind: "allowed"; readonly addresses: readonly string[] }
  /** The port, or every address, is refused; `decision` is the first refusal. */
  | { readonly kind: "refused"; readonly decision: PolicyDecision }
  /** The name did not resolve (or timed out, or gave no usable address). */
  | { readonly kind: "unresolved"; readonly error: Error };

export interface VetOptions {
  readonly resolver?: Resolver;
  readonly resolveTimeoutMs?: number;
  /**
   * This host's addresses, refused unless an allow rule covers them. Asked
   * on every request, as interfaces come and go. Default: the addresses of
   * every interface (os.networkInterfaces()).
   */
  readonly ownAddresses?: () => Iterable<string>;
}

/** Every address on this host's interfaces. */
export function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} took over ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Judges a destination. The port is judged first, so a refused port costs
 * no DNS query (and tells the name's DNS server nothing). A name that
 * resolves to a mix keeps only its allowed addresses; one that resolves to
 * nothing allowed is refused with the first address's reason.
 */
export async function vetDestination(
  policy: DestinationPolicy,
  request: DestinationRequest,
  options: VetOptions = {},
): Promise<DestinationVerdict> {
  const port = checkPort(policy, request.port);
  if (!port.allowed) return { kind: "refused", decision: port };
  let host = request.host;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const literal = parseIp(host);
  let candidates: readonly string[];
  if (literal !== undefined) {
    candidates = [literal.host];
  } else {
    try {
      const resolve = options.resolver ?? systemResolver;
      candidates = await withTimeout(resolve(host), options.resolveTimeoutMs ?? RESOLVE_TIMEOUT_MS, "resolving");
    } catch (err) {
      return { kind: "unresolved", error: err as Error };
    }
  }
  const own = ownAddressSet((options.ownAddresses ?? interfaceAddresses)());
  const allowed: string[] = [];
  let refusal: PolicyDecision | undefined;
  for (const c of candidates.slice(0, MAX_RESOLVED_ADDRESSES)) {
    // Resolvers may hand back a zone (fe80::1%eth0); the zone never widens what the address is.
    const ip = parseIp(c, { dropZone: true });
    if (ip === undefined) continue;
    const d = checkAddress(policy, ip.host, own);
    if (d.allowed) {
      if (!allowed.includes(d.address)) allowed.push(d.address);
    } else {
      refusal ??= d;
    }
  }
  if (allowed.length > 0) return { kind: "allowed", addresses: allowed };
  if (refusal !== undefined) return { kind: "refused", decision: refusal };
  return { kind: "unresolved", error: new Error("the name resolved to no usable address") };
}
