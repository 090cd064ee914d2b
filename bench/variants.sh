#!/usr/bin/env bash
# The cost of an opt-in feature on the request path: `people-api` generated with the
# feature turned on for the benchmarked `people` resource, load-tested against the
# plain `people-api` in one run (run.sh's "generated" column is the variant, its
# "reference" column the plain build, so gen/ref is the variant's relative speed).
#
#   bash bench/variants.sh FEATURE [run.sh options]
#
# FEATURE: oplog        `oplog = true` under [api]: one oplog entry per write
#          versioning   `versioning = true` on people: a shadow copy per version
#          soft_delete  `soft_delete = true` on people: DELETE marks, reads filter
#          all          the three together
#          api_key      `api_key_required = true` under [api]: every operation needs an
#                       API key, looked up in the server's keys table; run.sh makes one
#                       (GEN_API_KEY=1) and every request of the run carries it, to the
#                       plain build too, which ignores it
#          live         `oplog = true` under [api] and `live = true` on people: its
#                       changes served as live events (bench/live.sh adds subscribers)
#          limits       a quota (`metric_costs` under [api], `[quotas.bench-requests]`) and
#                       a rate limit on every method (`rate_limit`), both set high enough
#                       that the run is never refused: every request is metered and
#                       counted by client address, and its answer carries X-RateLimit-*
# BUILD_ONLY=1 builds the variant and prints its binary's path, without a run.
# e.g. bash bench/variants.sh oplog -s post,patch -r 3
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
feature=${1:-}
[[ -n $feature ]] || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 2; }
shift
api_lines=() people_lines=() tail_lines=()
case $feature in
  oplog) api_lines=("oplog = true") ;;
  live) api_lines=("oplog = true"); people_lines=("live = true") ;;
  versioning) people_lines=("versioning = true") ;;
  soft_delete) people_lines=("soft_delete = true") ;;
  all) api_lines=("oplog = true"); people_lines=("versioning = true" "soft_delete = true") ;;
  api_key) api_lines=("api_key_required = true"); export GEN_API_KEY=1 ;;
  limits)
    api_lines=("metric_costs = { bench-requests = 1 }"
      "rate_limit = { get = [4000000000, 60], post = [4000000000, 60], patch = [4000000000, 60], put = [4000000000, 60], delete = [4000000000, 60] }")
    tail_lines=("[quotas.bench-requests]" "per_minute = 4000000000") ;;
  *) echo "unknown feature: $feature" >&2; exit 2 ;;
esac

# Outside the repository: cargo would take a crate under it for a workspace member.
work=${TMPDIR:-/tmp}/apigen-bench-variants/$feature
rm -rf "$work" && mkdir -p "$work"
python3 - "$ROOT/specs/people.toml" "$work/people.toml" "${#api_lines[@]}" "${#tail_lines[@]}" "${api_lines[@]}" "${tail_lines[@]}" "${people_lines[@]}" <<'PY'
import sys
source, dest, n_api, n_tail, *lines = sys.argv[1:]
n_api, n_tail = int(n_api), int(n_tail)
api, tail, people = lines[:n_api], lines[n_api : n_api + n_tail], lines[n_api + n_tail :]
out = []
for line in open(source, encoding="utf-8").read().splitlines():
    out.append(line)
    if line.strip() == "[api]":
        out.extend(api)
    elif line.strip() == "[resources.people]":
        out.extend(people)
out.extend(tail)
open(dest, "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
echo "==> people-api with: ${api_lines[*]} ${people_lines[*]} ${tail_lines[*]}" >&2
(cd "$ROOT" && cargo run --quiet -- new "$work/people.toml" --out "$work/people-api" \
  --runtime-path "$ROOT/templates/runtime" >/dev/null)
(cd "$work/people-api" && CARGO_TARGET_DIR=$ROOT/target/bench-variants/target \
  cargo build --release --quiet)
# BUILD_ONLY=1: print the variant's binary and stop (bench/live.sh).
if [[ ${BUILD_ONLY:-} == 1 ]]; then
  echo "$ROOT/target/bench-variants/target/release/people-api"
  exit 0
fi
(cd "$ROOT" && cargo build --release --quiet -p people-api)
GEN_BIN=$ROOT/target/bench-variants/target/release/people-api \
  REF_BIN=$ROOT/target/release/people-api \
  OUT=${OUT:-$ROOT/bench/out/variant-$feature-$(date -u +%Y%m%dT%H%M%SZ)} \
  bash "$ROOT/bench/run.sh" "$@"
