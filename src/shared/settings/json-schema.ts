/**
 * A small JSON Schema (draft 2020-12) validator for exactly the keywords our
 * settings schemas use. It interprets the schema as data: no code generation,
 * no `eval`/`new Function`, which an MV3 extension's CSP forbids (and which is
 * how general validators such as ajv get their speed). `assertSupportedSchema`
 * refuses any keyword outside the subset, so a schema can never rely on a
 * keyword this validator would silently ignore.
 *
 * Semantics follow JSON Schema Validation 2020-12 §6 (validation keywords) and
 * Core §10.2 (applicators); lengths count Unicode code points (§6.3.1), and
 * "integer" means a number with a zero fractional part (Core §4.2.1).
 */

export type JsonType = "null" | "boolean" | "object" | "array" | "number" | "integer" | "string";

/** The schema subset: validation keywords, applicators, and annotations (which do not constrain). */
export interface JsonSchema {
  readonly $schema?: string;
  readonly $id?: string;
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly type?: JsonType | readonly JsonType[];
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly dependentRequired?: Readonly<Record<string, readonly string[]>>;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly anyOf?: readonly JsonSchema[];
}

/** Every keyword the validator understands; the first six are annotations only. */
export const SUPPORTED_KEYWORDS: readonly (keyof JsonSchema)[] = [
  "$schema",
  "$id",
  "title",
  "description",
  "default",
  "examples",
  "type",
  "enum",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "properties",
  "required",
  "additionalProperties",
  "dependentRequired",
  "items",
  "minItems",
  "maxItems",
  "anyOf",
];

export interface SchemaViolation {
  /** RFC 6901 pointer into the instance. */
  readonly pointer: string;
  /** The keyword that failed, e.g. "required", "pattern". */
  readonly keyword: string;
  readonly message: string;
}

/** Throws TypeError if `schema` uses a keyword outside SUPPORTED_KEYWORDS (a programmer error). */
export function assertSupportedSchema(schema: JsonSchema, path = "#"): void {
  for (const k of Object.keys(schema)) {
    if (!(SUPPORTED_KEYWORDS as readonly string[]).includes(k)) {
      throw new TypeError(`${path}: JSON Schema keyword ${JSON.stringify(k)} is not supported by this validator`);
    }
  }
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    assertSupportedSchema(sub, `${path}/properties/${name}`);
  }
  if (typeof schema.additionalProperties === "object") {
    assertSupportedSchema(schema.additionalProperties, `${path}/additionalProperties`);
  }
  if (schema.items) assertSupportedSchema(schema.items, `${path}/items`);
  schema.anyOf?.forEach((s, i) => assertSupportedSchema(s, `${path}/anyOf/${i}`));
  if (schema.pattern !== undefined) compilePattern(schema.pattern);
}

const patternCache = new Map<string, RegExp>();

/** ECMA-262 regex with the `u` flag (Core §6.4); unanchored, as JSON Schema specifies. */
function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, "u");
    patternCache.set(pattern, re);
  }
  return re;
}

function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** A JSON-like object: not an array, and its prototype is Object.prototype or null (no class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function typeOf(v: unknown): JsonType | "invalid" {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "string") return "string";
  if (typeof v === "number") return Number.isFinite(v) ? "number" : "invalid";
  if (Array.isArray(v)) return "array";
  if (isPlainObject(v)) return "object";
  return "invalid";
}

function matchesType(v: unknown, t: JsonType): boolean {
  const actual = typeOf(v);
  if (t === "integer") return actual === "number" && Number.isInteger(v);
  return actual === t;
}

/** Code points, not UTF-16 units (Validation §6.3.1). */
function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** JSON equality (Core §4.2.2): numbers by value, objects by members regardless of order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 37) + "..." : s;
}

/**
 * Validates `instance` against `schema` and returns every violation (empty
 * means valid), in a fixed order: type, enum, then the type's own
 * keywords (for objects: required, dependentRequired, properties,
 * additionalProperties), then anyOf.
 */
export function validateSchema(schema: JsonSchema, instance: unknown, pointer = ""): SchemaViolation[] {
  const out: SchemaViolation[] = [];
  const add = (p: string, keyword: string, message: string): void => {
    out.push({ pointer: p, keyword, message });
  };

  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.some((t) => matchesType(instance, t))) {
      add(pointer, "type", `must be ${types.map((t) => (t === "integer" ? "an integer" : `a ${t}`)).join(" or ")}`);
      return out; // the other keywords would only repeat the same complaint
    }
  }
  if (schema.enum !== undefined && !schema.enum.some((e) => jsonEqual(e, instance))) {
    add(pointer, "enum", `must be one of ${schema.enum.map(show).join(", ")}`);
  }

  if (typeof instance === "string") validateString(schema, instance, pointer, add);
  if (typeof instance === "number") validateNumber(schema, instance, pointer, add);
  if (Array.isArray(instance)) {
    if (schema.minItems !== undefined && instance.length < schema.minItems) {
      add(pointer, "minItems", `must have at least ${schema.minItems} item(s)`);
    }
    if (schema.maxItems !== undefined && instance.length > schema.maxItems) {
      add(pointer, "maxItems", `must have at most ${schema.maxItems} item(s)`);
    }
    if (schema.items) {
      const itemSchema = schema.items;
      instance.forEach((item, i) => out.push(...validateSchema(itemSchema, item, `${pointer}/${i}`)));
    }
  }
  if (isPlainObject(instance)) validateObject(schema, instance, pointer, add, out);

  if (schema.anyOf) validateAnyOf(schema.anyOf, instance, pointer, out);
  return out;
}

type Add = (pointer: string, keyword: string, message: string) => void;

function validateString(schema: JsonSchema, s: string, pointer: string, add: Add): void {
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    const n = codePointLength(s);
    if (schema.minLength !== undefined && n < schema.minLength) {
      add(pointer, "minLength", `must be at least ${schema.minLength} character(s) long`);
    }
    if (schema.maxLength !== undefined && n > schema.maxLength) {
      add(pointer, "maxLength", `must be at most ${schema.maxLength} character(s) long`);
    }
  }
  if (schema.pattern !== undefined && !compilePattern(schema.pattern).test(s)) {
    add(pointer, "pattern", `does not have the required form (pattern ${schema.pattern})`);
  }
}

function validateNumber(schema: JsonSchema, n: number, pointer: string, add: Add): void {
  if (schema.minimum !== undefined && n < schema.minimum) add(pointer, "minimum", `must be >= ${schema.minimum}`);
  if (schema.maximum !== undefined && n > schema.maximum) add(pointer, "maximum", `must be <= ${schema.maximum}`);
}

function validateObject(
  schema: JsonSchema,
  obj: Record<string, unknown>,
  pointer: string,
  add: Add,
  out: SchemaViolation[],
): void {
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(obj, k);
  for (const k of schema.required ?? []) {
    if (!has(k)) add(`${pointer}/${escapeToken(k)}`, "required", "is required");
  }
  for (const [k, deps] of Object.entries(schema.dependentRequired ?? {})) {
    if (!has(k)) continue;
    for (const d of deps) {
      if (!has(d)) add(`${pointer}/${escapeToken(d)}`, "dependentRequired", `is required when ${k} is given`);
    }
  }
  const props = schema.properties ?? {};
  for (const k of Object.keys(obj)) {
    const p = `${pointer}/${escapeToken(k)}`;
    const sub = Object.prototype.hasOwnProperty.call(props, k) ? props[k] : undefined;
    if (sub) out.push(...validateSchema(sub, obj[k], p));
    else if (schema.additionalProperties === false) add(p, "additionalProperties", "is not an allowed key");
    else if (typeof schema.additionalProperties === "object") {
      out.push(...validateSchema(schema.additionalProperties, obj[k], p));
    }
  }
}

/** anyOf fails only when every branch fails. */
function validateAnyOf(branches: readonly JsonSchema[], instance: unknown, pointer: string, out: SchemaViolation[]) {
  const results: SchemaViolation[][] = [];
  for (const s of branches) {
    const r = validateSchema(s, instance, pointer);
    if (r.length === 0) return;
    results.push(r);
  }
  out.push(...closest(branches, results));
}

/**
 * When no alternative matches, report the one that came closest (fewest
 * violations, the first on a tie), with its `description` appended so that
 * the message names the alternatives, e.g. "is required (cert, or node-id and
 * public-key)".
 */
function closest(branches: readonly JsonSchema[], results: readonly SchemaViolation[][]): SchemaViolation[] {
  let bestIndex = 0;
  results.forEach((r, i) => {
    if (r.length < results[bestIndex]!.length) bestIndex = i;
  });
  const note = branches[bestIndex]?.description;
  const best = results[bestIndex] ?? [];
  return note === undefined ? best : best.map((v) => ({ ...v, message: `${v.message} (${note})` }));
}
