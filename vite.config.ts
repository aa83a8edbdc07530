import { defineConfig } from "vitest/config";

// One config for the extension build (added with the extension) and for vitest.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
