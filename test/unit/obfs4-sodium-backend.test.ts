import { expect, it } from "vitest";
import { loadSodiumBackend } from "../../src/server/crypto/sodium-backend.js";
import { describeObfs4BackendCompliance } from "../helpers/obfs4-backend-compliance.js";

// The native backend must load here (sodium-native ships prebuilds for this
// platform); a silent fall-back to pure JS would hide a 10× slowdown.
it("sodium-native loads", () => {
  expect(loadSodiumBackend()?.name).toBe("sodium-native");
});

describeObfs4BackendCompliance("sodium-native", () => {
  const b = loadSodiumBackend();
  if (b === null) throw new Error("sodium-native did not load");
  return b;
});
