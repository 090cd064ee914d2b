#!/usr/bin/env bash
# Load-test the generated people-api against the hand-written reference server.
#
#   bash bench/run.sh [options]        (from the repo root, or anywhere)
#
# Options (each also settable by the environment variable in brackets):
#   -t N        wrk threads                         [THREADS, default 1]
#   -c N        wrk connections                     [CONNECTIONS, default 32]
#   -d DUR      measured duration per run           [DURATION, default 5s]
#   -w DUR      warm-up duration per run            [WARMUP, default 2s]
#   -r N        rounds; the table shows medians      [ROUNDS, default 5]
#   -s LIST     scenarios, comma-separated from get_item,get_page,post,patch
#                                                   [SCENARIOS, default all four]
#   -n N        documents seeded into each server   [SEED_COUNT, default 10000]
#   -h          this help
# Other environment:
#   GEN_BIN     use this binary as "generated" instead of building people-api
#               (e.g. GEN_BIN=bench/reference/target/release/reference-server to
#               prove the harness against the reference alone)
#   REF_BIN     use this binary as "reference" instead of building bench/reference
#   OUT         where logs and results go (default bench/out/run-<UTC time>)
#   GEN_SERVE_ARGS  more options for the generated server's `serve` (e.g.
#               "--max-connections 4096")
#   GEN_SUBSCRIBERS=N  hold N live subscriptions (SSE) on the generated server's
#               `people/events` during the load, with bench/live's `attach` (LIVE_BENCH:
#               its binary); the people-api must have `live = true` (bench/live.sh);
#               GEN_SUBSCRIBE_QUERY: their query string (e.g. a `where` no write matches)
#   GEN_API_KEY=1  the generated server requires an API key (a spec with
#               `api_key_required = true`, as `bench/variants.sh api_key` builds): one is
#               made with `$GEN_BIN keys create --consumer bench --db <its database>`
#               before it starts, and every request of the run carries it in `x-api-key`
#               (curl, seed.py, check.py and wrk through BENCH_API_KEY), to the
#               reference too, which ignores it
#
# Both servers run on loopback with fresh databases, are seeded with the same
# documents through their HTTP API, checked against the wire contract the scenarios
# rely on, and then measured scenario by scenario, the two servers back to back (the
# one that goes first alternates), so machine noise hits both alike.
# Exit status: 0 when every request of every measured run got a 2xx and both servers
# met the contract, 1 otherwise (the table is printed either way).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench

THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-5}
SCENARIOS=${SCENARIOS:-get_item,get_page,post,patch}
SEED_COUNT=${SEED_COUNT:-10000}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
while getopts "t:c:d:w:r:s:n:h" opt; do
  case $opt in
    t) THREADS=$OPTARG ;;
    c) CONNECTIONS=$OPTARG ;;
    d) DURATION=$OPTARG ;;
    w) WARMUP=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    s) SCENARIOS=$OPTARG ;;
    n) SEED_COUNT=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
IFS=, read -r -a SCENARIO_LIST <<<"$SCENARIOS"
for s in "${SCENARIO_LIST[@]}"; do
  case $s in get_item|get_page|post|patch) ;; *) echo "unknown scenario: $s" >&2; exit 2 ;; esac
done

log() { printf '==> %s\n' "$*" >&2; }

# --- 1. tools -----------------------------------------------------------------
need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v curl >/dev/null || need_apt+=(curl)
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
  log "installing ${need_apt[*]}"
  SUDO=; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- 2. build -----------------------------------------------------------------
if [[ -z ${GEN_BIN:-} ]]; then
  log "building people-api (cargo build --release -p people-api)"
  (cd "$ROOT" && cargo build --release -p people-api)
  target_dir=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  GEN_BIN=$target_dir/release/people-api
fi
if [[ -z ${REF_BIN:-} ]]; then
  log "building reference-server (cargo build --release --manifest-path bench/reference/Cargo.toml)"
  cargo build --release --manifest-path "$BENCH/reference/Cargo.toml" \
    --target-dir "$BENCH/reference/target"
  REF_BIN=$BENCH/reference/target/release/reference-server
fi
GEN_BIN=$(realpath "$GEN_BIN")
REF_BIN=$(realpath "$REF_BIN")
for b in "$GEN_BIN" "$REF_BIN"; do [[ -x $b ]] || { echo "not an executable: $b" >&2; exit 1; }; done

OUT=${OUT:-$BENCH/out/run-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/apigen-bench.XXXXXX")

declare -A PID BASE BIN
BIN[gen]=$GEN_BIN
BIN[ref]=$REF_BIN
cleanup() {
  local rc=$?
  for s in gen ref; do
    if [[ -n ${PID[$s]:-} ]] && kill -0 "${PID[$s]}" 2>/dev/null; then
      kill "${PID[$s]}" 2>/dev/null || true
      wait "${PID[$s]}" 2>/dev/null || true
    fi
  done
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# GEN_API_KEY=1: the key every request carries, and the options that send it.
CURL_KEY=() PY_KEY=()
if [[ ${GEN_API_KEY:-} == 1 ]]; then
  BENCH_API_KEY=$("$GEN_BIN" keys create --consumer bench --db "$TMP/gen.db")
  [[ -n $BENCH_API_KEY ]] || { echo "keys create printed no key" >&2; exit 1; }
  export BENCH_API_KEY   # read by wrk/common.lua
  CURL_KEY=(-H "x-api-key: $BENCH_API_KEY")
  PY_KEY=(--header "x-api-key:$BENCH_API_KEY")
  log "every request carries an API key (consumer bench, made in $TMP/gen.db)"
else
  unset BENCH_API_KEY   # none from the environment either: wrk would send it
fi

# --- 3. start, seed, check ----------------------------------------------------
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_server() {
  local s=$1 port
  port=$(free_port)
  BASE[$s]=http://127.0.0.1:$port/api/v1
  local more=()
  [[ $s != gen ]] || read -r -a more <<<"${GEN_SERVE_ARGS:-}"
  "${BIN[$s]}" serve --addr "127.0.0.1:$port" --db "$TMP/$s.db" "${more[@]}" >"$OUT/$s-server.log" 2>&1 &
  PID[$s]=$!
  local deadline=$((SECONDS + 30))
  until [[ $(curl -s "${CURL_KEY[@]}" -o /dev/null -w '%{http_code}' "${BASE[$s]}/people?max_results=1" || true) == 200 ]]; do
    if ! kill -0 "${PID[$s]}" 2>/dev/null; then
      echo "$s server exited; its log:" >&2; cat "$OUT/$s-server.log" >&2; exit 1
    fi
    ((SECONDS < deadline)) || { echo "$s server did not answer within 30s" >&2; exit 1; }
    sleep 0.1
  done
  log "$s: ${BIN[$s]} on ${BASE[$s]} (pid ${PID[$s]})"
}

contract_ok=1
for s in gen ref; do
  start_server "$s"
  mkdir -p "$OUT/$s"
  log "$s: seeding $SEED_COUNT people"
  python3 "$BENCH/seed.py" --base "${BASE[$s]}" --out "$OUT/$s" --count "$SEED_COUNT" "${PY_KEY[@]}"
  log "$s: checking the wire contract"
  python3 "$BENCH/check.py" --base "${BASE[$s]}" --out "$OUT/$s" "${PY_KEY[@]}" || contract_ok=0
done

# GEN_SUBSCRIBERS: live subscribers on the generated server, held through the load.
ATTACH_PID=
if [[ -n ${GEN_SUBSCRIBERS:-} ]]; then
  port=${BASE[gen]#http://127.0.0.1:}; port=${port%%/*}
  "$LIVE_BENCH" attach "127.0.0.1:$port" "/api/v1/people/events${GEN_SUBSCRIBE_QUERY:+?$GEN_SUBSCRIBE_QUERY}" \
    "$GEN_SUBSCRIBERS" >"$OUT/subscribers.log" 2>&1 &
  ATTACH_PID=$!
  until grep -q READY "$OUT/subscribers.log" 2>/dev/null; do
    kill -0 "$ATTACH_PID" 2>/dev/null || { cat "$OUT/subscribers.log" >&2; exit 1; }
    sleep 0.2
  done
  log "gen: $GEN_SUBSCRIBERS live subscribers attached (pid $ATTACH_PID)"
fi

# --- 4. load ------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

RESULTS=$OUT/results.tsv
printf 'round\tscenario\tserver\trequests\trps\tp50_us\tp99_us\tnon2xx\tsocket_errors\tcpu_us_per_req\n' >"$RESULTS"

# run_wrk SERVER SCENARIO DURATION LABEL ROUND PHASE -> appends to RESULTS when PHASE=measure
run_wrk() {
  local s=$1 scen=$2 dur=$3 round=$4 phase=$5
  local args=()
  case $scen in
    get_item) args=("$OUT/$s/ids.txt") ;;
    get_page) args=("$OUT/$s/ages.txt") ;;
    post)     args=("${phase:0:1}$round") ;;   # lastname prefix: w1.. / m1..
    patch)
      local total slice idx
      total=$(wc -l <"$OUT/$s/patch.txt")
      slice=$((total / (2 * ROUNDS)))
      idx=$((2 * (round - 1) + $([[ $phase == warm ]] && echo 0 || echo 1)))
      args=("$OUT/$s/patch.txt" $((idx * slice)) "$slice" "$THREADS") ;;
  esac
  local logf=$OUT/$s-$scen-r$round-$phase.log cpu0 cpu1
  cpu0=$(cpu_ticks "${PID[$s]}")
  if ! wrk -t"$THREADS" -c"$CONNECTIONS" -d"$dur" --timeout 5s -s "$BENCH/wrk/$scen.lua" \
      "${BASE[$s]%/api/v1}" -- "${args[@]}" >"$logf" 2>&1; then
    echo "wrk failed for $s $scen ($phase); see $logf" >&2
  fi
  cpu1=$(cpu_ticks "${PID[$s]}")
  if ! kill -0 "${PID[$s]}" 2>/dev/null; then
    echo "$s server died during $scen; its log:" >&2; tail -20 "$OUT/$s-server.log" >&2; exit 1
  fi
  [[ $phase == measure ]] || return 0
  local line; line=$(grep '^RESULT ' "$logf" || true)
  if [[ -z $line ]]; then
    printf '%s\t%s\t%s\t0\t0\t0\t0\t0\t-1\t0\n' "$round" "$scen" "$s" >>"$RESULTS"
    return 0
  fi
  python3 - "$line" "$round" "$scen" "$s" "$((cpu1 - cpu0))" "$CLK_TCK" >>"$RESULTS" <<'EOF'
import sys
line, rnd, scen, srv, ticks, hz = sys.argv[1:]
kv = dict(p.split("=") for p in line.split()[1:])
req = int(kv["requests"])
sock = sum(int(kv[k]) for k in ("connect_err", "read_err", "write_err", "timeout_err"))
cpu = int(ticks) / int(hz) * 1e6 / req if req else 0
print("\t".join([rnd, scen, srv, kv["requests"], kv["rps"], kv["p50_us"], kv["p99_us"],
                 kv["non2xx"], str(sock), f"{cpu:.1f}"]))
EOF
  local bad; bad=$(grep '^FIRST_NON2XX ' "$logf" || true)
  [[ -z $bad ]] || echo "    $s $scen: ${bad#FIRST_NON2XX }" | cut -c1-300 >&2
}

log "load: wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP + measured $DURATION per server and scenario, $ROUNDS round(s)"
for ((round = 1; round <= ROUNDS; round++)); do
  for i in "${!SCENARIO_LIST[@]}"; do
    scen=${SCENARIO_LIST[$i]}
    # Who goes first alternates from scenario to scenario and from round to round.
    if (((round + i) % 2)); then order=(gen ref); else order=(ref gen); fi
    for s in "${order[@]}"; do
      log "round $round: $scen on $s"
      run_wrk "$s" "$scen" "$WARMUP" "$round" warm
      run_wrk "$s" "$scen" "$DURATION" "$round" measure
    done
  done
done

# --- 5. report ----------------------------------------------------------------
declare -A HWM
for s in gen ref; do
  HWM[$s]=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/${PID[$s]}/status" 2>/dev/null || echo '?')
done
if [[ -n $ATTACH_PID ]]; then
  kill -TERM "$ATTACH_PID" 2>/dev/null || true
  wait "$ATTACH_PID" 2>/dev/null || true
  log "subscribers: $(tail -1 "$OUT/subscribers.log")"
fi
{
  echo
  echo "apigen benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores  wrk -t$THREADS -c$CONNECTIONS -d$DURATION (warm-up $WARMUP), $ROUNDS round(s), $SEED_COUNT seeded"
  echo "generated: $GEN_BIN"
  echo "reference: $REF_BIN"
  [[ -z ${BENCH_API_KEY:-} ]] || echo "every request carried an API key (x-api-key); the generated server required it"
  python3 - "$RESULTS" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
names = {"get_item": "(a) GET item", "get_page": "(b) GET page", "post": "(c) POST", "patch": "(d) PATCH"}
order = [s for s in names if any(r["scenario"] == s for r in rows)]
def pick(scen, srv, key):
    return {r["round"]: float(r[key]) for r in rows if r["scenario"] == scen and r["server"] == srv}
def med(scen, srv, key):
    vals = list(pick(scen, srv, key).values())
    return statistics.median(vals) if vals else 0.0
def paired(scen, key, invert=False):
    """Per-round gen/ref ratios (ref/gen when invert): the two runs of a round are back to back."""
    g, r = pick(scen, "gen", key), pick(scen, "ref", key)
    out = []
    for rnd in g.keys() & r.keys():
        a, b = (r[rnd], g[rnd]) if invert else (g[rnd], r[rnd])
        if b:
            out.append(a / b)
    return out
def tot(scen, srv, key):
    return sum(int(r[key]) for r in rows if r["scenario"] == scen and r["server"] == srv)
hdr = (f"{'scenario':<13}{'gen req/s':>10}{'gen p99':>9}{'ref req/s':>10}{'ref p99':>9}"
       f"{'gen/ref':>8}{'(range)':>11}{'gen CPU':>9}{'ref CPU':>9}{'CPU ratio':>10}  {'non-2xx gen/ref':>15}")
print(hdr); print("-" * len(hdr))
bad = False
for s in order:
    g, r = med(s, "gen", "rps"), med(s, "ref", "rps")
    gp, rp = med(s, "gen", "p99_us") / 1000, med(s, "ref", "p99_us") / 1000
    gc, rc = med(s, "gen", "cpu_us_per_req"), med(s, "ref", "cpu_us_per_req")
    ge = tot(s, "gen", "non2xx") + max(0, tot(s, "gen", "socket_errors"))
    re_ = tot(s, "ref", "non2xx") + max(0, tot(s, "ref", "socket_errors"))
    failed = any(int(x["socket_errors"]) < 0 for x in rows if x["scenario"] == s)
    flag = "  <-- ERRORS" if ge or re_ or failed else ""
    bad = bad or bool(flag)
    rs = paired(s, "rps")
    ratio = f"{statistics.median(rs):.2f}" if rs else "n/a"
    spread = f"{min(rs):.2f}-{max(rs):.2f}" if len(rs) > 1 else ""
    cs = paired(s, "cpu_us_per_req", invert=True)
    cratio = f"{statistics.median(cs):.2f}" if cs else "n/a"
    print(f"{names[s]:<13}{g:>10.0f}{gp:>7.2f}ms{r:>10.0f}{rp:>7.2f}ms{ratio:>8}{spread:>11}"
          f"{gc:>7.1f}us{rc:>7.1f}us{cratio:>10}  {ge:>7}/{re_:<7}{flag}")
n = len({r["round"] for r in rows})
print(f"req/s, p99 (wrk) and CPU (server CPU time per request) are medians over {n} round(s).")
print("gen/ref: median over the rounds of generated req/s / reference req/s, the two measured back")
print("  to back; (range): lowest and highest of those per-round ratios. 1.00 = as fast as hand-written.")
print("CPU ratio: median of reference CPU/req / generated CPU/req; below 1 = the generated server")
print("  spends more CPU per request. The steadiest number when the machine is shared.")
if bad:
    print("WARNING: some requests got non-2xx answers or socket errors; those rates are not comparable.")
EOF
  echo "peak RSS: generated ${HWM[gen]} MiB, reference ${HWM[ref]} MiB"
  ((contract_ok)) || echo "WARNING: a server deviated from the wire contract (DEVIATION lines above)."
  echo "logs and raw results: $OUT"
} | tee "$OUT/table.txt"

errors=$(awk -F'\t' 'NR > 1 && ($8 != 0 || $9 != 0) {n++} END {print n + 0}' "$RESULTS")
((errors == 0 && contract_ok)) || exit 1
