/**
 * Builds the browser extension for Chrome and Firefox from one source:
 *
 *   dist/extension/chrome/        loadable folder (chrome://extensions → Load unpacked)
 *   dist/extension/firefox/       loadable folder (about:debugging → Load Temporary Add-on)
 *   dist/extension/webpt-chrome.zip, webpt-firefox.zip
 *   dist/extension/webapp/        the web-app client: webpt-webapp.mjs (ES module) and webpt-webapp.js (classic
 *                                 script defining `webpt`), for pages that talk to the extension
 *
 * Each extension script is one self-contained IIFE (content scripts and
 * Firefox's event page cannot be ES modules; no chunk loading means no remote
 * or dynamic code). The manifest is manifest.json with the browser's overlay
 * (src/extension/manifest.<browser>.json) merged on top: objects merge, arrays
 * and values replace. The version comes from package.json.
 *
 *   node --import tsx scripts/build-extension.ts [--no-zip] [--no-minify] [--out DIR]
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SRC = path.join(ROOT, "src/extension");

export type BrowserName = "chrome" | "firefox";

/** Script entries: output name → source. */
const ENTRIES: Readonly<Record<string, string>> = {
  background: "background/main.ts",
  offscreen: "offscreen/main.ts",
  content: "content/main.ts",
  popup: "ui/popup.ts",
  options: "ui/options.ts",
};
/** Static files copied as they are. */
const STATIC = ["ui/popup.html", "ui/options.html", "ui/ui.css", "offscreen/offscreen.html"];
/** Files only one browser uses. */
const ONLY: Readonly<Record<string, BrowserName>> = { "offscreen.js": "chrome", "offscreen.html": "chrome" };

export interface BuildOptions {
  readonly outDir?: string;
  readonly browsers?: readonly BrowserName[];
  readonly zip?: boolean;
  readonly minify?: boolean;
  readonly webapp?: boolean;
}

export interface BuildResult {
  readonly folders: Readonly<Record<BrowserName, string>>;
  readonly zips: readonly string[];
  readonly webapp: string | null;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Objects merge recursively; anything else in `over` replaces. */
export function mergeManifest(base: Json, over: Json): Json {
  if (typeof base !== "object" || base === null || Array.isArray(base)) return over;
  if (typeof over !== "object" || over === null || Array.isArray(over)) return over;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? mergeManifest(out[k]!, v) : v;
  return out;
}

async function bundle(
  name: string,
  entry: string,
  outDir: string,
  minify: boolean,
  format: "iife" | "es" = "iife",
  fileName = `${name}.js`,
): Promise<void> {
  await build({
    configFile: false,
    logLevel: "warn",
    publicDir: false,
    build: {
      outDir,
      emptyOutDir: false,
      minify: minify ? "esbuild" : false,
      sourcemap: false,
      target: "es2022",
      copyPublicDir: false,
      reportCompressedSize: false,
      lib: { entry, formats: [format], name: name.replace(/[^A-Za-z0-9_]/g, "_"), fileName: () => fileName },
      rollupOptions: { output: { inlineDynamicImports: true } },
    },
  });
}

// --- a small store-only ZIP writer (APPNOTE 6.3.x §4.3): enough for a browser to load ---------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function zipStore(files: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, "utf8");
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00 (reproducible)
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, Buffer.from(f.data));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt32LE(0x00210000, 12);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(f.data.length, 20);
    c.writeUInt32LE(f.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += 30 + name.length + f.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

export async function buildExtension(options: BuildOptions = {}): Promise<BuildResult> {
  const outDir = path.resolve(ROOT, options.outDir ?? "dist/extension");
  const browsers = options.browsers ?? ["chrome", "firefox"];
  const minify = options.minify ?? true;
  const stage = path.join(outDir, ".stage");
  await rm(outDir, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  // Sequential: rollup is single-threaded anyway, and the machine is shared.
  for (const [name, entry] of Object.entries(ENTRIES)) await bundle(name, path.join(SRC, entry), stage, minify);
  const pkg = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { version: string };
  const base = JSON.parse(await readFile(path.join(ROOT, "manifest.json"), "utf8")) as Json;
  const folders = {} as Record<BrowserName, string>;
  const zips: string[] = [];
  for (const browser of browsers) {
    const dir = path.join(outDir, browser);
    await mkdir(dir, { recursive: true });
    const overlay = JSON.parse(await readFile(path.join(SRC, `manifest.${browser}.json`), "utf8")) as Json;
    const manifest = mergeManifest(mergeManifest(base, overlay), { version: pkg.version });
    const files: { name: string; data: Uint8Array }[] = [
      { name: "manifest.json", data: Buffer.from(JSON.stringify(manifest, null, 2) + "\n") },
    ];
    for (const name of Object.keys(ENTRIES).map((n) => `${n}.js`)) {
      if (ONLY[name] === undefined || ONLY[name] === browser)
        files.push({ name, data: await readFile(path.join(stage, name)) });
    }
    for (const rel of STATIC) {
      const name = path.basename(rel);
      if (ONLY[name] === undefined || ONLY[name] === browser)
        files.push({ name, data: await readFile(path.join(SRC, rel)) });
    }
    for (const f of files) await writeFile(path.join(dir, f.name), f.data);
    folders[browser] = dir;
    if (options.zip ?? true) {
      const zip = path.join(outDir, `webpt-${browser}.zip`);
      await writeFile(zip, zipStore(files));
      zips.push(zip);
    }
  }
  let webapp: string | null = null;
  if (options.webapp ?? true) {
    webapp = path.join(outDir, "webapp");
    const entry = path.join(ROOT, "src/shared/webapp/index.ts");
    await bundle("webpt", entry, webapp, minify, "iife", "webpt-webapp.js");
    await bundle("webpt", entry, webapp, minify, "es", "webpt-webapp.mjs");
  }
  await rm(stage, { recursive: true, force: true });
  return { folders, zips, webapp };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const out = args.indexOf("--out");
  const started = Date.now();
  buildExtension({
    zip: !args.includes("--no-zip"),
    minify: !args.includes("--no-minify"),
    ...(out >= 0 && args[out + 1] !== undefined ? { outDir: args[out + 1] } : {}),
  }).then(
    (r) => {
      const rel = (p: string): string => path.relative(ROOT, p);
      console.log(
        `built in ${Date.now() - started} ms: ${[...Object.values(r.folders), ...r.zips].map(rel).join(", ")}`,
      );
      if (r.webapp !== null) console.log(`web-app client: ${rel(r.webapp)}/webpt-webapp.{js,mjs}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
