#!/usr/bin/env bash
# Live subscriptions at scale: N subscribers (SSE) on one people-api generated with
# `oplog = true` and `live = true` on people (bench/variants.sh live).
#
#   bash bench/live.sh [N]          (default 1000)
#
# 1. Delivery latency: N subscribers, then 200 documents POSTed one at a time, 25 ms
#    apart; each subscriber notes when each insert arrives. Latency is measured from
#    the moment the POST was sent (the commit happens inside that request: an upper
#    bound of commit-to-event), over every (subscriber, document) pair; the same with
#    one subscriber, for the floor.
# 2. Memory: the server's resident size before and after the N subscribers connect,
#    over N: memory per subscriber.
# 3. Writes with subscribers: bench/run.sh's POST and PATCH scenarios, the live
#    people-api holding N subscribers (a) against the hand-written reference, and (b)
#    against the same binary with none, in one run each; (c) as (b) with N
#    subscribers whose `where` no write matches (what subscribers cost when the writes
#    are not theirs). Every event of (a) and (b) goes to every subscriber: N events per
#    write, read by bench/live's client on the same machine.
# Environment: ROUNDS (run.sh rounds, default 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-1000}
ROUNDS=${ROUNDS:-3}
log() { printf '==> %s\n' "$*" >&2; }

log "building the live people-api and bench/live"
GEN=$(BUILD_ONLY=1 bash "$ROOT/bench/variants.sh" live)
cargo build --release --quiet --manifest-path "$ROOT/bench/live/Cargo.toml" \
  --target-dir "$ROOT/bench/live/target"
LIVE_BENCH=$ROOT/bench/live/target/release/live-bench
OUT=${OUT:-$ROOT/bench/out/live-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/apigen-live.XXXXXX")
SERVER=
cleanup() {
  [[ -z $SERVER ]] || kill "$SERVER" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# latency SUBSCRIBERS: one fresh server, the harness's result line; memory noted.
latency() {
  local n=$1 port
  port=$(free_port)
  rm -f "$TMP"/live.db*
  "$GEN" serve --addr "127.0.0.1:$port" --db "$TMP/live.db" --max-connections 4096 \
    >"$OUT/server-$n.log" 2>&1 &
  SERVER=$!
  until curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/people?max_results=1"; do sleep 0.1; done
  # One write first: the feed, the oplog and the caches exist before the baseline.
  curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"lastname": "warm"}' \
    "http://127.0.0.1:$port/api/v1/people"
  local before after
  before=$(rss_kib "$SERVER")
  "$LIVE_BENCH" latency "127.0.0.1:$port" /api/v1/people/events /api/v1/people "$n" 200 25 \
    >"$OUT/latency-$n.log" 2>&1 &
  local harness=$!
  until grep -q READY "$OUT/latency-$n.log"; do sleep 0.1; done
  sleep 1
  after=$(rss_kib "$SERVER")
  wait "$harness"
  echo "$(grep '^subscribers=' "$OUT/latency-$n.log") rss_before_kib=$before rss_after_kib=$after per_subscriber_kib=$(( (after - before) / n ))" |
    tee -a "$OUT/results.txt"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
}

log "latency and memory, 1 subscriber then $N"
latency 1
latency "$N"

log "writes with $N subscribers against the reference"
GEN_BIN=$GEN GEN_SUBSCRIBERS=$N LIVE_BENCH=$LIVE_BENCH GEN_SERVE_ARGS="--max-connections 4096" \
  OUT=$OUT/vs-reference bash "$ROOT/bench/run.sh" -s post,patch -r "$ROUNDS" | tee "$OUT/vs-reference.txt"
log "writes with $N subscribers against the same server with none"
GEN_BIN=$GEN REF_BIN=$GEN GEN_SUBSCRIBERS=$N LIVE_BENCH=$LIVE_BENCH GEN_SERVE_ARGS="--max-connections 4096" \
  OUT=$OUT/vs-none bash "$ROOT/bench/run.sh" -s post,patch -r "$ROUNDS" | tee "$OUT/vs-none.txt"
log "writes with $N subscribers whose where matches none of them, against none"
GEN_BIN=$GEN REF_BIN=$GEN GEN_SUBSCRIBERS=$N LIVE_BENCH=$LIVE_BENCH GEN_SERVE_ARGS="--max-connections 4096" \
  GEN_SUBSCRIBE_QUERY='where=%7B%22lastname%22%3A%22nobody%22%7D' \
  OUT=$OUT/filtered bash "$ROOT/bench/run.sh" -s post,patch -r "$ROUNDS" | tee "$OUT/filtered.txt"
echo
cat "$OUT/results.txt"
echo "(run.sh tables above: vs-reference, vs-none, filtered; all in $OUT)"
