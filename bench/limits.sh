#!/usr/bin/env bash
# Rate limits and quotas under load, against a generated server (issue 11):
#
#  1. a rate limit of 1,000 GETs per 1-second window per client, hammered by one
#     client over many connections for DURATION seconds: the GETs let through per
#     window (counted by each answer's X-RateLimit-Reset, which names its window), and
#     the 429s;
#  2. the server's RSS before and after requests from 100,000 distinct client
#     addresses (the whole 127/8 is loopback on Linux), and after 100,000 more: the
#     counters take fixed memory, so it must stay flat.
#
#   bash bench/limits.sh            # DURATION=5 CONNECTIONS=16 ADDRESSES=100000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-16}
ADDRESSES=${ADDRESSES:-100000}

# Outside the repository: cargo would take a crate under it for a workspace member.
work=${TMPDIR:-/tmp}/apigen-bench-limits
rm -rf "$work" && mkdir -p "$work"
cat >"$work/limited.toml" <<'TOML'
[api]
name = "limited"
version = "1.0.0"
metric_costs = { requests = 1 }
rate_limit = { get = [1000, 1] }

[quotas.requests]
display_name = "Requests"
per_minute = 4000000000

[resources.items]
resource_methods = ["GET", "POST"]

[resources.items.schema]
name = { type = "string" }
TOML
(cd "$ROOT" && cargo run --quiet -- new "$work/limited.toml" --out "$work/limited-api" \
  --runtime-path "$ROOT/templates/runtime" >/dev/null)
(cd "$work/limited-api" && CARGO_TARGET_DIR=$ROOT/target/bench-variants/target \
  cargo build --release --quiet)
bin=$ROOT/target/bench-variants/target/release/limited-api

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --addr "127.0.0.1:$port" --db "$work/limited.db" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/api/v1/items" >/dev/null 2>&1 && break
  sleep 0.1
done
python3 "$ROOT/bench/limits_load.py" --port "$port" --pid "$pid" --duration "$DURATION" \
  --connections "$CONNECTIONS" --addresses "$ADDRESSES"
