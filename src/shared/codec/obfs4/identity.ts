/**
 * The obfs4 server identity as obfs4proxy persists and publishes it (transports/obfs4/statefile.go):
 *
 * - obfs4_state.json: {"node-id":hex20,"private-key":hex32,"public-key":hex32,"drbg-seed":hex24,"iat-mode":int},
 *   written by Go's json.Marshal (that key order, no spaces, no trailing newline). On load, keys match
 *   case-insensitively, unknown keys are ignored, and public-key is not trusted: it is recomputed from
 *   private-key (ntor.KeypairFromHex).
 * - obfs4_bridgeline.txt: a fixed comment header and "Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> cert=… iat-mode=…".
 * - The server's SMETHOD ARGS: cert and iat-mode.
 * - Server transport options node-id, private-key and drbg-seed (all three or none) override the state file;
 *   iat-mode alone may override it.
 *
 * File I/O is the caller's; everything here is pure.
 */
import { LimitError } from "../../errors.js";
import { toHex } from "../../bytes/index.js";
import {
  Obfs4IdentityError,
  type IatMode,
  type TransportArgs,
  encodeCert,
  getArg,
  hexDecode,
  parseGoInt,
  toIatMode,
} from "./identity-cert.js";
import { PRIVATE_KEY_LENGTH } from "./elligator2.js";
import {
  NODE_ID_LENGTH,
  type RandomSource,
  defaultRandomSource,
  generateKeypair,
  keypairFromPrivateKey,
} from "./ntor.js";

/** Length of the seed of the server's length-distribution DRBG (drbg.SeedLength: SipHash key 16 + IV 8). */
export const DRBG_SEED_LENGTH = 24;
/** Largest obfs4_state.json accepted, in characters (obfs4proxy writes ~290); bounds work on a corrupt file. */
export const MAX_STATE_FILE_LENGTH = 64 * 1024;
/** The state file's name in TOR_PT_STATE_LOCATION. */
export const STATE_FILE_NAME = "obfs4_state.json";
/** The bridge-line file's name in TOR_PT_STATE_LOCATION. */
export const BRIDGE_LINE_FILE_NAME = "obfs4_bridgeline.txt";

export interface Obfs4ServerState {
  readonly nodeId: Uint8Array;
  readonly privateKey: Uint8Array;
  /** Always the X25519 public key of privateKey. */
  readonly publicKey: Uint8Array;
  readonly drbgSeed: Uint8Array;
  readonly iatMode: IatMode;
}

/** A new identity as obfs4proxy makes one (newJSONServerState): random Node ID, identity key and DRBG seed. */
export function generateServerState(rng: RandomSource = defaultRandomSource): Obfs4ServerState {
  const nodeId = rng(NODE_ID_LENGTH);
  const { privateKey, publicKey } = generateKeypair(rng);
  const drbgSeed = rng(DRBG_SEED_LENGTH);
  return { nodeId, privateKey, publicKey, drbgSeed, iatMode: 0 };
}

/** obfs4_state.json text exactly as obfs4proxy writes it. */
export function formatServerStateJson(state: Obfs4ServerState): string {
  return JSON.stringify({
    "node-id": toHex(state.nodeId),
    "private-key": toHex(state.privateKey),
    "public-key": toHex(state.publicKey),
    "drbg-seed": toHex(state.drbgSeed),
    "iat-mode": state.iatMode,
  });
}

const STATE_FIELDS = ["node-id", "private-key", "public-key", "drbg-seed", "iat-mode"] as const;
type StateField = (typeof STATE_FIELDS)[number];

function fieldError(field: string, message: string): Obfs4IdentityError {
  return new Obfs4IdentityError("ERR_OBFS4_STATE_BAD_FIELD", message, { pointer: `/${field}` });
}

/** Reads the JSON into obfs4proxy's struct the way encoding/json would (see the module comment). */
function readStateFields(text: string): Partial<Record<StateField, string | number>> {
  if (text.length > MAX_STATE_FILE_LENGTH) {
    throw new LimitError(
      "ERR_OBFS4_STATE_TOO_LARGE",
      `state file over ${MAX_STATE_FILE_LENGTH} characters`,
      MAX_STATE_FILE_LENGTH,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Obfs4IdentityError(
      "ERR_OBFS4_STATE_INVALID_JSON",
      "state file is not JSON",
      { pointer: "" },
      { cause: e },
    );
  }
  if (doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new Obfs4IdentityError("ERR_OBFS4_STATE_INVALID_JSON", "state file is not a JSON object", { pointer: "" });
  }
  const out: Partial<Record<StateField, string | number>> = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const field = STATE_FIELDS.find((f) => f === key) ?? STATE_FIELDS.find((f) => f === key.toLowerCase());
    if (field === undefined || value === null) continue;
    if (field === "iat-mode") {
      if (typeof value !== "number" || !Number.isSafeInteger(value)) {
        throw fieldError(field, "iat-mode must be an integer");
      }
      out[field] = value;
    } else {
      if (typeof value !== "string") throw fieldError(field, `${field} must be a string`);
      out[field] = value;
    }
  }
  return out;
}

function hexField(value: string | number | undefined, field: StateField, length: number): Uint8Array {
  const raw = typeof value === "string" ? hexDecode(value) : null;
  if (raw === null || raw.length !== length) throw fieldError(field, `${field} must be ${length} bytes of hex`);
  return raw;
}

function stateFromFields(fields: Partial<Record<StateField, string | number>>): Obfs4ServerState {
  const nodeId = hexField(fields["node-id"] ?? "", "node-id", NODE_ID_LENGTH);
  const { privateKey, publicKey } = keypairFromPrivateKey(
    hexField(fields["private-key"] ?? "", "private-key", PRIVATE_KEY_LENGTH),
  );
  const drbgSeed = hexField(fields["drbg-seed"] ?? "", "drbg-seed", DRBG_SEED_LENGTH);
  const iat = fields["iat-mode"] ?? 0;
  const iatMode = toIatMode(typeof iat === "number" ? iat : null);
  if (iatMode === null) throw fieldError("iat-mode", "iat-mode must be 0, 1 or 2");
  return { nodeId, privateKey, publicKey, drbgSeed, iatMode };
}

/**
 * Parses obfs4_state.json. Throws Obfs4IdentityError (with a JSON pointer to the bad field) or LimitError.
 * The file's public-key is checked for type only and otherwise ignored, as obfs4proxy does.
 */
export function parseServerStateJson(text: string): Obfs4ServerState {
  return stateFromFields(readStateFields(text));
}

/** The torrc bridge line for this server, with obfs4proxy's placeholders by default. */
export function formatObfs4BridgeLine(
  state: Pick<Obfs4ServerState, "nodeId" | "publicKey" | "iatMode">,
  where: { address?: string; fingerprint?: string } = {},
): string {
  const address = where.address ?? "<IP ADDRESS>:<PORT>";
  const fingerprint = where.fingerprint ?? "<FINGERPRINT>";
  return `Bridge obfs4 ${address} ${fingerprint} cert=${encodeCert(state.nodeId, state.publicKey)} iat-mode=${state.iatMode}`;
}

const BRIDGE_FILE_HEADER =
  "# obfs4 torrc client bridge line\n" +
  "#\n" +
  "# This file is an automatically generated bridge line based on\n" +
  "# the current obfs4proxy configuration.  EDITING IT WILL HAVE\n" +
  "# NO EFFECT.\n" +
  "#\n" +
  "# Before distributing this Bridge, edit the placeholder fields\n" +
  "# to contain the actual values:\n" +
  "#  <IP ADDRESS>  - The public IP address of your obfs4 bridge.\n" +
  "#  <PORT>        - The TCP/IP port of your obfs4 bridge.\n" +
  "#  <FINGERPRINT> - The bridge's fingerprint.\n\n";

/** obfs4_bridgeline.txt exactly as obfs4proxy 0.0.14 writes it. */
export function formatBridgeLineFile(state: Pick<Obfs4ServerState, "nodeId" | "publicKey" | "iatMode">): string {
  return `${BRIDGE_FILE_HEADER}${formatObfs4BridgeLine(state)}\n`;
}

/** The SMETHOD ARGS obfs4proxy announces, in its order: cert, then iat-mode. */
export function serverMethodArgs(
  state: Pick<Obfs4ServerState, "nodeId" | "publicKey" | "iatMode">,
): [string, string][] {
  return [
    ["cert", encodeCert(state.nodeId, state.publicKey)],
    ["iat-mode", String(state.iatMode)],
  ];
}

export interface ResolvedServerState {
  readonly state: Obfs4ServerState;
  /** What to write to obfs4_state.json (obfs4proxy rewrites it on every start). */
  readonly stateJson: string;
  /** What to write to obfs4_bridgeline.txt. */
  readonly bridgeLineFile: string;
}

/**
 * obfs4proxy's serverStateFromArgs: `options` are the obfs4 server transport options; `stateJson` is the state
 * file's text, or null when it does not exist (a new identity is generated then).
 */
export function resolveServerState(args: {
  options?: TransportArgs;
  stateJson: string | null;
  rng?: RandomSource;
}): ResolvedServerState {
  const options = args.options ?? {};
  const given = (["node-id", "private-key", "drbg-seed"] as const).filter((k) => getArg(options, k) !== undefined);
  let fields: Partial<Record<StateField, string | number>>;
  if (given.length === 0) {
    if (args.stateJson === null) {
      const fresh = generateServerState(args.rng ?? defaultRandomSource);
      fields = readStateFields(formatServerStateJson(fresh));
    } else {
      fields = readStateFields(args.stateJson);
    }
  } else {
    const missing = (["private-key", "node-id", "drbg-seed"] as const).find((k) => !given.includes(k));
    if (missing !== undefined) {
      throw new Obfs4IdentityError("ERR_OBFS4_MISSING_ARGUMENT", `missing argument '${missing}'`, {
        argument: missing,
      });
    }
    fields = {
      "node-id": getArg(options, "node-id")!,
      "private-key": getArg(options, "private-key")!,
      "drbg-seed": getArg(options, "drbg-seed")!,
    };
  }
  const iatText = getArg(options, "iat-mode");
  if (iatText !== undefined) {
    const iat = parseGoInt(iatText);
    if (iat === null) {
      throw new Obfs4IdentityError("ERR_OBFS4_BAD_ARGUMENT", `malformed iat-mode '${iatText}'`, {
        argument: "iat-mode",
      });
    }
    fields["iat-mode"] = iat;
  }
  let state: Obfs4ServerState;
  try {
    state = stateFromFields(fields);
  } catch (e) {
    // A bad value that came from the transport options is reported as that argument, not as a state-file field.
    const field = e instanceof Obfs4IdentityError ? e.pointer?.slice(1) : undefined;
    if (field !== undefined && getArg(options, field) !== undefined) {
      throw new Obfs4IdentityError("ERR_OBFS4_BAD_ARGUMENT", e instanceof Error ? e.message : String(e), {
        argument: field,
      });
    }
    throw e;
  }
  return { state, stateJson: formatServerStateJson(state), bridgeLineFile: formatBridgeLineFile(state) };
}
