#!/usr/bin/env bash
# Tabular imports at volume (issue 13): a ROWS-row CSV of people loaded
#
#  1. by a raw SQLite loop: one prepared INSERT per row, in one transaction, into a
#     table with the people table's columns and indexes (what a good engineer writes
#     by hand to load a file, with no validation, tags or oplog): the bar;
#  2. by the generated binary's `import` command (`people-api import people FILE`);
#  3. through HTTP (`POST /api/v1/people/import`, `text/csv`), streamed by curl;
#
# each into a fresh database, all in this run, with rows per second, and the server's
# peak RSS (VmHWM) after importing ROWS/10 rows and after ROWS rows on fresh servers:
# flat if the import streams.
#
#   bash bench/imports.sh            # ROWS=1000000
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${ROWS:-1000000}
TARGET=$ROOT/target/bench-variants/target

# Outside the repository: cargo would take a crate under it for a workspace member.
work=${TMPDIR:-/tmp}/apigen-bench-imports
rm -rf "$work" && mkdir -p "$work"

echo "== building people-api (release) and the raw SQLite loader"
(cd "$ROOT" && cargo run --quiet -- new specs/people.toml --out "$work/people-api" \
  --runtime-path "$ROOT/templates/runtime" >/dev/null)
(cd "$work/people-api" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet)
mkdir -p "$work/raw-insert/src"
cat >"$work/raw-insert/Cargo.toml" <<'TOML'
[package]
name = "raw-insert"
version = "0.1.0"
edition = "2021"

[dependencies]
rusqlite = { version = "0.41", features = ["bundled"] }
TOML
cat >"$work/raw-insert/src/main.rs" <<'RUST'
//! The bar: read a CSV of people (no quoted cells) and insert each row with one
//! prepared statement, in one transaction, into a table shaped like people-api's.
use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (csv, db) = (&args[1], &args[2]);
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE people (_id TEXT PRIMARY KEY, firstname TEXT, lastname TEXT, age INTEGER,
           born INTEGER, email TEXT, _created INTEGER, _updated INTEGER, _etag TEXT);
         CREATE UNIQUE INDEX people_lastname ON people (lastname);
         CREATE INDEX people_age ON people (age);",
    )
    .unwrap();
    let started = std::time::Instant::now();
    let tx = conn.transaction().unwrap();
    let mut rows = 0u64;
    {
        let mut insert = tx
            .prepare("INSERT INTO people VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)")
            .unwrap();
        let file = std::io::BufReader::new(std::fs::File::open(csv).unwrap());
        for (i, line) in file.lines().enumerate().skip(1) {
            let line = line.unwrap();
            let cells: Vec<&str> = line.split(',').collect();
            let id = format!("{i:024x}");
            let age: i64 = cells[2].parse().unwrap();
            insert
                .execute(rusqlite::params![id, cells[1], cells[0], age, -86_400i64 * i as i64, cells[3], 0i64, "tag"])
                .unwrap();
            rows += 1;
        }
    }
    tx.commit().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    println!("{rows} {seconds:.3}");
}
RUST
(cd "$work/raw-insert" && CARGO_TARGET_DIR=$TARGET cargo build --release --quiet)
bin=$TARGET/release/people-api
raw=$TARGET/release/raw-insert

echo "== writing $ROWS rows"
python3 - "$work" "$ROWS" <<'PY'
import sys
work, rows = sys.argv[1], int(sys.argv[2])
def write(path, n):
    with open(path, "w", encoding="utf-8") as out:
        out.write("lastname,firstname,age,email\n")
        for i in range(n):
            out.write(f"p{i:08d},Zoë{i % 97},{i % 151},p{i}@example.org\n")
write(f"{work}/people.csv", rows)
write(f"{work}/tenth.csv", rows // 10)
PY
ls -la "$work"/*.csv | awk '{print $5, $9}'

echo "== 1. raw SQLite prepared INSERT loop"
read -r raw_rows raw_secs < <("$raw" "$work/people.csv" "$work/raw.db")
raw_rate=$(python3 -c "print(round($raw_rows / $raw_secs))")
echo "raw: $raw_rows rows in ${raw_secs}s = $raw_rate rows/s"

echo "== 2. people-api import people FILE"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$work/cmd.rss" "$bin" import people "$work/people.csv" --db "$work/cmd.db" </dev/null
end=$(date +%s.%N)
cmd_rate=$(python3 -c "print(round($ROWS / ($end - $start)))")
echo "command: $ROWS rows in $(python3 -c "print(round($end - $start, 2))")s = $cmd_rate rows/s ($(python3 -c "print(round($cmd_rate / $raw_rate, 2))") of raw); peak RSS $(cat "$work/cmd.rss") KiB"

serve_import() { # name csv -> prints "seconds peak_kib"
  local name=$1 csv=$2
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin" serve --addr "127.0.0.1:$port" --db "$work/$name.db" >"$work/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/api/v1/people" >/dev/null 2>&1 && break
    sleep 0.1
  done
  local before
  before=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  local start end
  start=$(date +%s.%N)
  curl -sS -X POST -H 'Content-Type: text/csv' -T "$csv" \
    "http://127.0.0.1:$port/api/v1/people/import" >"$work/$name.report"
  end=$(date +%s.%N)
  local peak
  peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$(python3 -c "print(round($end - $start, 3))") $before $peak"
}

echo "== 3. POST /api/v1/people/import (text/csv)"
read -r http_secs http_before http_peak < <(serve_import http "$work/people.csv")
http_rate=$(python3 -c "print(round($ROWS / $http_secs))")
echo "http: $ROWS rows in ${http_secs}s = $http_rate rows/s ($(python3 -c "print(round($http_rate / $raw_rate, 2))") of raw)"
head -c 200 "$work/http.report"; echo
read -r tenth_secs tenth_before tenth_peak < <(serve_import tenth "$work/tenth.csv")
echo "server peak RSS (VmHWM): $tenth_before KiB idle; $tenth_peak KiB after $((ROWS / 10)) rows; $http_peak KiB after $ROWS rows"
