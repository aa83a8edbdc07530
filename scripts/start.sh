#!/usr/bin/env bash
# The main job: set up, build (server and extension), then run the companion server standalone on its built-in
# default config, which prints the bridge lines and share links a client needs. Extra arguments go to the server,
# e.g. `npm start -- --listen 0.0.0.0 --public-host bridge.example.org`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
exec node bin/webpt.js server --standalone "$@"
