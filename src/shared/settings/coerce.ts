/**
 * First half of parseSettings: take settings as they arrive from one source,
 * enforce the size limits, sort out unknown and repeated keys, and turn string
 * forms into the canonical shape the JSON Schemas describe. Nothing here
 * judges values; the schema and settings.ts do.
 *
 * Sources and what each may carry (decisions; see also schemas.ts):
 * - "json" (PT 2.1 SOCKS 0x09, seed 001 §1.4): a JSON object. Strict: unknown
 *   keys are errors (X'13'). Integers may also be given as decimal strings and
 *   `ice` as a comma-separated string, because a parent that turns a bridge
 *   line's k=v pairs into JSON (as the 2.1 example does) produces strings.
 * - "storage" (the extension's own records): exactly the canonical shape, no
 *   coercion, unknown keys are errors: we wrote it, so anything else is damage.
 * - "args" (PT 1.0 SOCKS username/password, pt-spec §3.5, as goptlib's
 *   `Args`: `Record<string, string[]>`) and "bridge" (a bridge line's k=v):
 *   all values are strings; unknown keys are ignored and reported, as
 *   goptlib-based PTs ignore them; a single-valued key given twice is an
 *   error (goptlib's Get would silently take the first); `ice` may repeat.
 */
import { SettingsError, jsonPointer } from "./errors.js";
import { isPlainObject, type JsonSchema } from "./json-schema.js";
import { MAX_SETTINGS_KEYS, MAX_SETTINGS_VALUES_PER_KEY, MAX_SETTINGS_VALUE_LENGTH } from "./limits.js";

export type SettingsSource = "json" | "args" | "bridge" | "storage";

export const SETTINGS_SOURCES: readonly SettingsSource[] = ["json", "args", "bridge", "storage"];

export interface Coerced {
  /** Canonical-shape object (no prototype) ready for the schema. */
  readonly object: Record<string, unknown>;
  /** Keys dropped because the transport does not define them (args and bridge sources only). */
  readonly ignoredKeys: string[];
}

function checkLength(value: string, pointer: string): void {
  if (value.length > MAX_SETTINGS_VALUE_LENGTH) {
    throw new SettingsError(pointer, "value-too-long", `is longer than ${MAX_SETTINGS_VALUE_LENGTH} characters`);
  }
}

function countKeys(record: Record<string, unknown>): string[] {
  // Object.keys on a plain object is proportional to its size, which JSON.parse
  // or the SOCKS decoder has already bounded; we bound what we do per key.
  const keys = Object.keys(record);
  if (keys.length > MAX_SETTINGS_KEYS) {
    throw new SettingsError("", "too-many-keys", `has ${keys.length} keys; at most ${MAX_SETTINGS_KEYS} are allowed`);
  }
  return keys;
}

const CANONICAL_UINT = /^(0|[1-9][0-9]{0,8})$/;

/** The schema type of a known key decides how its string form is read. */
function propertyType(schema: JsonSchema, key: string): string | undefined {
  const props = schema.properties ?? {};
  const sub = Object.prototype.hasOwnProperty.call(props, key) ? props[key] : undefined;
  return typeof sub?.type === "string" ? sub.type : undefined;
}

/** A string as the schema type wants it: integers from canonical decimal, lists from commas. */
function fromString(type: string | undefined, value: string): unknown {
  if (type === "integer") return CANONICAL_UINT.test(value) ? Number(value) : value;
  if (type === "array") return value.split(",");
  return value;
}

/** Strict sources: "json" (with string forms) and "storage" (canonical only). */
export function coerceObject(schema: JsonSchema, input: unknown, source: "json" | "storage"): Coerced {
  if (!isPlainObject(input)) throw new SettingsError("", "not-object", "settings must be a JSON object");
  const keys = countKeys(input);
  const object = Object.create(null) as Record<string, unknown>;
  for (const key of keys) {
    const pointer = jsonPointer(key);
    const type = propertyType(schema, key);
    if (type === undefined) {
      throw new SettingsError(pointer, "unknown-key", `is not a setting of this transport (${schema.title ?? ""})`);
    }
    let value = input[key];
    if (Array.isArray(value)) {
      if (value.length > MAX_SETTINGS_VALUES_PER_KEY) {
        throw new SettingsError(pointer, "too-many-values", `has more than ${MAX_SETTINGS_VALUES_PER_KEY} items`);
      }
      value.forEach((item, i) => {
        if (typeof item === "string") checkLength(item, jsonPointer(key, i));
      });
    } else if (typeof value === "string") {
      checkLength(value, pointer);
      if (source === "json") value = fromString(type, value);
    }
    object[key] = value;
  }
  return { object, ignoredKeys: [] };
}

/** Lenient sources: "args" and "bridge", values `string[]` per key. */
export function coerceArgs(schema: JsonSchema, input: unknown): Coerced {
  if (!isPlainObject(input)) throw new SettingsError("", "not-object", "arguments must be a key → string[] record");
  const keys = countKeys(input);
  const object = Object.create(null) as Record<string, unknown>;
  const ignoredKeys: string[] = [];
  for (const key of keys) {
    const pointer = jsonPointer(key);
    const values = input[key];
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === "string")) {
      throw new SettingsError(pointer, "not-object", "must be a non-empty list of strings");
    }
    if (values.length > MAX_SETTINGS_VALUES_PER_KEY) {
      throw new SettingsError(pointer, "too-many-values", `is given more than ${MAX_SETTINGS_VALUES_PER_KEY} times`);
    }
    values.forEach((v: string, i) => checkLength(v, values.length === 1 ? pointer : jsonPointer(key, i)));
    const type = propertyType(schema, key);
    if (type === undefined) {
      ignoredKeys.push(key);
      continue;
    }
    if (type === "array") {
      object[key] = values.flatMap((v: string) => v.split(","));
    } else if (values.length > 1) {
      throw new SettingsError(pointer, "repeated-key", `is given ${values.length} times; it takes one value`);
    } else {
      object[key] = fromString(type, values[0] as string);
    }
  }
  return { object, ignoredKeys };
}
