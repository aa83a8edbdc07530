/**
 * `webpt/shared` as outside web apps consume it (issue 2): the package
 * subpath export resolves to built, typed ES modules, and the core bundles
 * for a browser with nothing from Node in it. Needs `npm run build` first
 * (the test command does it).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { build } from "vite";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

describe("the webpt/shared export", () => {
  it("is built with type declarations", () => {
    for (const f of ["dist/shared/index.js", "dist/shared/index.d.ts"]) {
      expect(existsSync(path.join(root, f)), `${f} missing: run npm run build`).toBe(true);
    }
  });

  it("imports by its package name from Node and works", async () => {
    const code = `
      import { encodeUdpFrame, parseBridgeLine, formatIpcMessage, toHex } from "webpt/shared";
      const line = parseBridgeLine("obfs4 192.0.2.1:443 cert=AAAA iat-mode=0");
      console.log(JSON.stringify([toHex(encodeUdpFrame(new Uint8Array(3))), line.transport,
        formatIpcMessage({ kind: "CMETHODS DONE" })]));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(["0003000000", "obfs4", "CMETHODS DONE"]);
  });

  it("type-checks in a consumer with only DOM types (a web app)", async () => {
    const dir = await mkdtemp(path.join(root, ".tmp-consumer-"));
    await writeFile(
      path.join(dir, "app.ts"),
      `import { parseSettings, type StreamDecoder } from "webpt/shared";
       const s = parseSettings("obfs4", { cert: "x", "iat-mode": 0 }, "json");
       const d: StreamDecoder<Uint8Array> | null = null;
       export { s, d };\n`,
    );
    await writeFile(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2022", "DOM"],
          types: [],
          noEmit: true,
          skipLibCheck: false,
        },
        files: ["app.ts"],
      }),
    );
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    try {
      await expect(run(process.execPath, [tsc, "-p", dir], { cwd: root })).resolves.toBeDefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("bundles for a browser with no Node built-in", async () => {
    const out = await build({
      configFile: false,
      logLevel: "silent",
      build: {
        write: false,
        target: "es2022",
        lib: { entry: path.join(root, "src/shared/index.ts"), formats: ["es"], fileName: "shared" },
      },
    });
    const outputs = (Array.isArray(out) ? out : [out]).flatMap((o) => ("output" in o ? o.output : []));
    const code = outputs.map((o) => ("code" in o ? o.code : "")).join("\n");
    expect(code.length).toBeGreaterThan(10_000);
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|net|crypto|buffer|stream)["']\)/);
    expect(code).not.toMatch(/\bBuffer\.from\b|\bprocess\.env\b/);
  }, 60_000);
});
