#!/usr/bin/env bash
# `make audit`: serve Rapport on a scratch embedded database and run graphql-http's audit.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill -INT "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent graphql graphql-http >/dev/null)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RAPPORT_PORT=$port RAPPORT_DATA_DIR="$work/db" .venv/bin/python main.py serve > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
token=$(grep -o 'Bearer rap_[A-Za-z0-9_-]*' "$work/serve.log" | head -1 | cut -d' ' -f2)
cp tests/graphql_http_audit.mjs "$work/audit.mjs"
(cd "$work" && node audit.mjs "http://127.0.0.1:$port/graphql" "$token")
