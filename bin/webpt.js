#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled server package.
import("../dist/server/cli.js").then((m) => m.main(process.argv.slice(2)));
