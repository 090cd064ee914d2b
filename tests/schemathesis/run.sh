#!/usr/bin/env bash
# Schemathesis against the generated server of every example spec: each answer must
# be documented by the server's own openapi.json (status, content type, headers,
# body schema), valid requests accepted and invalid ones refused.
#
#   tests/schemathesis/run.sh [EXAMPLE...]      # default: every generated-example/*
#
# Installs schemathesis (pinned with hashes in requirements.txt) into a venv
# (SCHEMATHESIS_VENV, default target/schemathesis-venv), builds the example servers
# once, and serves each on a free port with a scratch database. MAX_EXAMPLES (default
# 30) bounds the test cases per operation; SEED fixes the random seed. Exits non-zero
# on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
venv=${SCHEMATHESIS_VENV:-$target/schemathesis-venv}
max_examples=${MAX_EXAMPLES:-30}

if ! "$venv/bin/python" -c 'import schemathesis' 2> /dev/null \
    || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  echo "== installing schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi

if [ $# -gt 0 ]; then
  examples=("$@")
else
  examples=()
  for dir in generated-example/*/; do examples+=("$(basename "$dir")"); done
fi
packages=()
for name in "${examples[@]}"; do packages+=(-p "$name-api"); done
echo "== building ${examples[*]}"
cargo build --quiet "${packages[@]}"

scratch=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2> /dev/null || true; wait "$server" 2> /dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

failed=()
for name in "${examples[@]}"; do
  port=$(free_port)
  # An example whose API has auth gets its credentials first: `setup/<name>.sh` runs
  # with the binary, the database and the array `extra` (schemathesis' options, such
  # as `--auth`) to fill, and exports what the server needs.
  extra=()
  if [ -f "$here/setup/$name.sh" ]; then
    # shellcheck source=/dev/null
    . "$here/setup/$name.sh" "$target/debug/$name-api" "$scratch/$name.db"
  fi
  "$target/debug/$name-api" serve --addr "127.0.0.1:$port" --db "$scratch/$name.db" \
    > "$scratch/$name.log" 2>&1 &
  server=$!
  python3 - "$port" <<'WAIT'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/openapi.json", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
WAIT
  echo "== schemathesis: $name (http://127.0.0.1:$port/openapi.json)"
  seed=()
  if [ -n "${SEED:-}" ]; then seed=(--seed "$SEED"); fi
  # The document's `servers` holds the API's prefix; the origin is the server's.
  # Every check but `use_after_free`: after a DELETE, Eve still answers OPTIONS on the
  # item's URL (its methods) and GET on an emptied sub-resource collection (no
  # items), which that check takes for a deleted resource still served. (`--checks
  # all` overrides the config file's `enabled = false`, so it is excluded here.)
  # A live subscription (`<collection>/events`) answers a valid request with a stream
  # that never ends, which a fuzzer can only time out on: tests/e2e_live.rs covers it.
  if ! (cd "$here" && "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
      --checks all --exclude-checks use_after_free --exclude-path-regex '/events$' \
      --max-examples "$max_examples" --generation-database none \
      --no-color "${seed[@]}" "${extra[@]}"); then
    failed+=("$name")
    echo "-- $name: server log"
    tail -n 20 "$scratch/$name.log"
  fi
  kill "$server" 2> /dev/null || true
  wait "$server" 2> /dev/null || true
  server=
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "schemathesis failed for: ${failed[*]}"
  exit 1
fi
echo "schemathesis: ${#examples[@]} example servers, no failure"
