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
# e.g. bash bench/variants.sh oplog -s post,patch -r 3
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
feature=${1:-}
[[ -n $feature ]] || { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 2; }
shift
api_lines=() people_lines=()
case $feature in
  oplog) api_lines=("oplog = true") ;;
  versioning) people_lines=("versioning = true") ;;
  soft_delete) people_lines=("soft_delete = true") ;;
  all) api_lines=("oplog = true"); people_lines=("versioning = true" "soft_delete = true") ;;
  api_key) api_lines=("api_key_required = true"); export GEN_API_KEY=1 ;;
  *) echo "unknown feature: $feature" >&2; exit 2 ;;
esac

# Outside the repository: cargo would take a crate under it for a workspace member.
work=${TMPDIR:-/tmp}/apigen-bench-variants/$feature
rm -rf "$work" && mkdir -p "$work"
python3 - "$ROOT/specs/people.toml" "$work/people.toml" "${#api_lines[@]}" "${api_lines[@]}" "${people_lines[@]}" <<'PY'
import sys
source, dest, n_api, *lines = sys.argv[1:]
api, people = lines[: int(n_api)], lines[int(n_api):]
out = []
for line in open(source, encoding="utf-8").read().splitlines():
    out.append(line)
    if line.strip() == "[api]":
        out.extend(api)
    elif line.strip() == "[resources.people]":
        out.extend(people)
open(dest, "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
echo "==> people-api with: ${api_lines[*]} ${people_lines[*]}" >&2
(cd "$ROOT" && cargo run --quiet -- new "$work/people.toml" --out "$work/people-api" \
  --runtime-path "$ROOT/templates/runtime" >/dev/null)
(cd "$work/people-api" && CARGO_TARGET_DIR=$ROOT/target/bench-variants/target \
  cargo build --release --quiet)
(cd "$ROOT" && cargo build --release --quiet -p people-api)
GEN_BIN=$ROOT/target/bench-variants/target/release/people-api \
  REF_BIN=$ROOT/target/release/people-api \
  OUT=${OUT:-$ROOT/bench/out/variant-$feature-$(date -u +%Y%m%dT%H%M%SZ)} \
  bash "$ROOT/bench/run.sh" "$@"
