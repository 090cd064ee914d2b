#!/usr/bin/env bash
# Cold release build time and dependency count: generated people-api vs the reference.
#
#   bash bench/build-time.sh            # ROUNDS=2 by default, order alternating
#
# For each of the two crates: `cargo fetch` first (so downloads are not timed), then
# `cargo build --release --offline` into a fresh, empty CARGO_TARGET_DIR (every
# dependency, SQLite's C source included, is compiled from scratch), timed by the
# wall clock. Then the number of distinct crate names in
# `cargo tree -e normal,build --prefix none` (the crate itself included; dev-
# dependencies excluded), and the size of the binary built.
# Cargo's default parallelism is used (no -j), so the numbers move with whatever else
# the machine is doing: run it on a quiet machine, and compare the two lines of one
# run rather than numbers from different runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REF_MANIFEST=$ROOT/bench/reference/Cargo.toml
GEN_MANIFEST=$ROOT/Cargo.toml
TMP=$(mktemp -d "${TMPDIR:-/tmp}/apigen-build-time.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "==> cargo fetch (not timed)" >&2
cargo fetch --manifest-path "$GEN_MANIFEST" >&2
cargo fetch --manifest-path "$REF_MANIFEST" >&2

# measure LABEL MANIFEST PACKAGE BINARY
measure() {
  local label=$1 manifest=$2 package=$3 binary=$4 target=$TMP/$1-$round
  mkdir -p "$target"
  echo "==> $label: cold cargo build --release -p $package (CARGO_TARGET_DIR=$target)" >&2
  local t0 t1
  t0=$(date +%s.%N)
  CARGO_TARGET_DIR=$target cargo build --release --offline --manifest-path "$manifest" \
    -p "$package" >"$TMP/$label.log" 2>&1 || { cat "$TMP/$label.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  local crates size
  crates=$(cargo tree --offline --manifest-path "$manifest" -p "$package" \
    -e normal,build --prefix none | awk 'NF {print $1}' | sort -u | wc -l)
  size=$(stat -c %s "$target/release/$binary")
  awk -v l="$label" -v p="$package" -v t0="$t0" -v t1="$t1" -v c="$crates" -v s="$size" \
    'BEGIN {printf "%-11s %-18s %8.1f s %6d crates %8.1f MiB binary\n", l, p, t1 - t0, c, s / 1048576}'
}

# Rounds alternate which goes first (ABBA...): the first build after a pause pays for
# cold file caches, and the machine is shared, so one pair alone can mislead.
ROUNDS=${ROUNDS:-2}
echo "cold release build, $(nproc) cores, cargo defaults ($(cargo --version)), $ROUNDS round(s)"
for ((round = 1; round <= ROUNDS; round++)); do
  if ((round % 2)); then
    measure generated "$GEN_MANIFEST" people-api people-api
    measure reference "$REF_MANIFEST" reference-server reference-server
  else
    measure reference "$REF_MANIFEST" reference-server reference-server
    measure generated "$GEN_MANIFEST" people-api people-api
  fi
  rm -rf "$TMP"/*-"$round"
done
