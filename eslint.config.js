import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["types/**", "dist/**", "node_modules/**", "coverage/**", ".tmp/**", "build/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // src/shared runs unchanged in browsers and Node: no platform imports or globals.
    files: ["src/shared/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*"], message: "src/shared is runtime-neutral: no Node built-ins." },
            {
              group: ["ws", "werift", "webextension-polyfill", "sodium-native"],
              message: "src/shared is runtime-neutral.",
            },
            { group: ["**/server/**", "**/extension/**"], message: "src/shared imports nothing outside itself." },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        { name: "Buffer", message: "Use Uint8Array in src/shared." },
        { name: "process", message: "src/shared must not touch the process." },
        { name: "window", message: "src/shared is runtime-neutral." },
        { name: "document", message: "src/shared is runtime-neutral." },
        { name: "chrome", message: "src/shared is runtime-neutral." },
        { name: "browser", message: "src/shared is runtime-neutral." },
      ],
    },
  },
  {
    files: ["src/server/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/extension/**"], message: "server and extension never import each other." }] },
      ],
    },
  },
  {
    files: ["src/extension/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/server/**", "node:*"], message: "server and extension never import each other." }] },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "types/**/*.d.ts"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
);
