#!/usr/bin/env bash
# The main job: the companion server on a built-in default config. Standalone mode (issue 4) is not built yet;
# until it is, this builds the project and says how to run the server under tor, rather than pretending.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent build
cat >&2 <<'MSG'
webpt: the standalone server (no tor needed) is not implemented yet (issue 4).
Today `webpt server` runs managed by tor. In a bridge's torrc:

  BridgeRelay 1
  ServerTransportPlugin obfs4 exec /usr/bin/node /path/to/webpt/bin/webpt.js server
  ServerTransportListenAddr obfs4 0.0.0.0:443
  ExtORPort auto

tor then logs the obfs4 bridge line; the state directory keeps obfs4_bridgeline.txt.
MSG
exit 1
