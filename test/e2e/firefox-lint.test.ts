/**
 * The Firefox build passes Mozilla's own linter (`web-ext lint`, the
 * addons-linter AMO runs on every submission): no errors. Needs
 * `npm run build` (the test command does it).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const source = path.join(root, "dist/extension/firefox");

interface LintReport {
  summary: { errors: number; notices: number; warnings: number };
  errors: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}

it("web-ext lint finds no errors in dist/extension/firefox", async () => {
  expect(existsSync(path.join(source, "manifest.json")), "run npm run build first").toBe(true);
  const bin = path.join(root, "node_modules/.bin/web-ext");
  // web-ext exits non-zero when it finds errors; the report says why either way.
  const out = await promisify(execFile)(bin, ["lint", "--source-dir", source, "--output", "json"], {
    timeout: 60_000,
    maxBuffer: 16 << 20,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  const report = JSON.parse(out.stdout.slice(out.stdout.indexOf("{"))) as LintReport;
  expect(report.errors.map((e) => `${e.code}: ${e.message}`)).toEqual([]);
  // What is left are notes that some manifest keys postdate the minimum Firefox version we declare.
  expect(report.warnings.every((w) => /UNSUPPORTED_BY_MIN_VERSION/.test(w.code))).toBe(true);
}, 90_000);
