#!/usr/bin/env bash
# The one test command: sets up what is missing, type-checks (including the
# proof that src/shared is runtime-neutral), lints, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run typecheck
npm run lint
npm run build
npx vitest run "$@"
