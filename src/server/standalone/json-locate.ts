/**
 * Where things are in a JSON text, so a config error can say `file:line`
 * as well as its JSON pointer (RFC 6901), and where a syntax error is.
 * The scanner runs only on text JSON.parse accepted, so it trusts the
 * grammar; it is iterative (no recursion), so deep nesting cannot overflow
 * the stack. It also reports duplicate keys, which JSON.parse silently
 * resolves to the last one: in a config file that is nearly always a mistake.
 */

/**
 * Values nested deeper than this are not located (their pointers would cost
 * memory quadratic in the depth); a config is four levels deep at most.
 */
export const MAX_LOCATE_DEPTH = 32;

export interface JsonLocations {
  /** Pointer → 1-based line of the value (the root is ""). */
  readonly lines: ReadonlyMap<string, number>;
  /** Pointers of keys given more than once in one object. */
  readonly duplicates: readonly string[];
}

function escapeToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** 1-based line and column of a UTF-16 offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}

interface Frame {
  readonly kind: "object" | "array";
  readonly pointer: string;
  index: number;
  readonly keys: Set<string>;
}

/** Maps every value's pointer to its line. `text` must be valid JSON. */
export function locateJson(text: string): JsonLocations {
  const lines = new Map<string, number>();
  const duplicates: string[] = [];
  const stack: Frame[] = [];
  let i = 0;
  let line = 1;
  const skipSpace = (): void => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) line++;
      else if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0xfeff) return;
      i++;
    }
  };
  /** Skips a string starting at text[i] === '"' and returns its value. */
  const readString = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (child: string): void => {
    // Past the depth cap a value keeps its parent's pointer, so pointers stop growing.
    const deep = stack.length >= MAX_LOCATE_DEPTH;
    const pointer = deep ? stack[stack.length - 1]!.pointer : child;
    if (!deep) lines.set(pointer, line);
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push({ kind: c === "{" ? "object" : "array", pointer, index: 0, keys: new Set() });
      i++;
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    }
  };

  skipSpace();
  value("");
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    skipSpace();
    const c = text[i];
    if (c === "}" || c === "]") {
      stack.pop();
      i++;
      continue;
    }
    if (c === ",") {
      i++;
      skipSpace();
    }
    if (top.kind === "array") {
      value(`${top.pointer}/${top.index++}`);
    } else {
      const key = readString();
      const pointer = `${top.pointer}/${escapeToken(key)}`;
      if (top.keys.has(key)) duplicates.push(pointer);
      top.keys.add(key);
      skipSpace();
      i++; // ':'
      skipSpace();
      value(pointer);
    }
  }
  return { lines, duplicates };
}

/** The line of `pointer`, or of its nearest ancestor present in the text (a missing key is reported at its object). */
export function lineOf(locations: JsonLocations, pointer: string): number {
  let p = pointer;
  for (;;) {
    const l = locations.lines.get(p);
    if (l !== undefined || p === "") return l ?? 1;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}
