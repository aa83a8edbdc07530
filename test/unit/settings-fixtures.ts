// Vectors and helpers shared by the settings suites.
import { expect } from "vitest";
import { SettingsError, type SettingsErrorReason } from "../../src/shared/settings/errors.js";
import { parseSettings } from "../../src/shared/settings/settings.js";
import type { SettingsSource } from "../../src/shared/settings/coerce.js";
import type { TransportName } from "../../src/shared/settings/schemas.js";

// pt-spec Appendix B's SMETHOD ARGS cert: base64 of NODEID (20 bytes) || B (32 bytes), unpadded.
export const CERT = "HszPy3vWfjsESCEOo9ZBkRv6zQ/1mGHzc8arF0y2SpwFr3WhsMu8rK0zyaoyERfbz3ddFw";
export const NODE_ID = "1ecccfcb7bd67e3b0448210ea3d641911bfacd0f"; // bytes 0..19
export const PUBLIC_KEY = "f59861f373c6ab174cb64a9c05af75a1b0cbbcacad33c9aa321117dbcf775d17"; // bytes 20..51
// bridgestrap's README example cert, a second independent vector.
export const CERT2 = "fJRlJc0T7i2Qkw3SyLQq+M6iTGs9ghLHK65LBy/MQewXJpNOKFq63Om1JHVkLlrmEBbX1w";

/** Runs `f`, which must throw a SettingsError, and returns it for field assertions. */
export function settingsError(f: () => unknown): SettingsError {
  expect(f).toThrow(SettingsError);
  try {
    f();
  } catch (e) {
    return e as SettingsError;
  }
  throw new Error("unreachable");
}

/** parseSettings must refuse `input`: where (JSON pointer), why, and which check. */
export function fails(
  transport: TransportName,
  input: unknown,
  source: SettingsSource,
): { pointer: string; reason: SettingsErrorReason; keyword: string | null } {
  const e = settingsError(() => parseSettings(transport, input, source));
  return { pointer: e.pointer, reason: e.reason, keyword: e.keyword };
}
