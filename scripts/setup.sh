#!/usr/bin/env bash
# Installs everything the project and its full test suite need on a fresh
# Debian machine with Node: npm dependencies, and the real peers the interop
# tests run against (tor, obfs4proxy, ...). Idempotent; apt-get needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the interop and end-to-end tests use as real peers.
# tor (bridges, clients, private networks), obfs4proxy (interop), snowflake-client (a peer for `webpt conformance`),
# coturn (STUN/TURN behind the UDP mode), chromium (the extension's end-to-end tests), openssl (test certificates).
PACKAGES=(tor obfs4proxy snowflake-client coturn chromium openssl)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# tor's and coturn's Debian packages start system daemons; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then systemctl stop tor coturn >/dev/null 2>&1 || true; fi

# `npm install`, not `npm ci`: npm 11.19 writes lock files without other platforms' optional packages and then
# refuses them in `npm ci`; `npm install` still installs exactly the locked versions.
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
