#!/usr/bin/env bash
# Bulk create of 10,000 documents through each generated client (Rust, TypeScript,
# Python sync and async) against the same release library-api server, in one run:
# documents per second. Each client sends bulk POSTs of PER_REQUEST books, IN_FLIGHT
# at once (the Python sync client one at a time), ROUNDS rounds in turn, so the
# machine's noise reaches every client alike.
#
#   bash bench/clients.sh            # DOCS=10000 PER_REQUEST=500 IN_FLIGHT=4 ROUNDS=3
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=${CARGO_TARGET_DIR:-$root/target}
docs=${DOCS:-10000}
per_request=${PER_REQUEST:-500}
in_flight=${IN_FLIGHT:-4}
rounds=${ROUNDS:-3}

cargo build --quiet --release -p library-api -p rust-client-bench
sh tests/clients/typescript/install.sh
(cd tests/clients/typescript && node node_modules/typescript/bin/tsc -p .)
python=$(sh tests/clients/python/install.sh)

dir=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
"$target/release/library-api" serve --addr "127.0.0.1:$port" --db "$dir/bench.db" > "$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -fs "$url/api/v1/" > /dev/null && break; sleep 0.1; done

echo "library-api (release) at $url: $docs documents, $per_request per request, $in_flight in flight"
for round in $(seq "$rounds"); do
  echo "== round $round"
  printf 'rust:       '
  "$target/release/rust-client-bench" "$url" "$docs" "$per_request" "$in_flight" | grep "^bulk"
  printf 'typescript: '
  (cd tests/clients/typescript && DOCS=$docs BATCH=$per_request CONCURRENCY=$in_flight \
     node dist/tests/clients/typescript/src/bench.js "$url")
  PYTHONPATH=generated-example/library/clients/python/src \
    "$python" tests/clients/python/bench_bulk.py "$url" "$docs" "$per_request" "$in_flight" \
    | sed 's/^/python /'
done
