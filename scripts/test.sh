#!/usr/bin/env bash
# The one test command (`npm test`): sets up what is missing (npm packages and
# the real peers from Debian), type-checks (including the proof that
# src/shared is runtime-neutral), lints, builds, and runs every test. Extra
# arguments go to vitest (e.g. `npm test -- test/unit`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent typecheck
npm run --silent lint
npm run --silent build
mkdir -p .tmp
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.tmp/vitest.json "$@" || status=$?
# One plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".tmp/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit "$status"
