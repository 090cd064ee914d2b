#!/usr/bin/env bash
# How long a migration takes on a large table: the people example with N documents
# (default 1,000,000), regenerated with a new field that has a default, migrated with
# the release build's `migrate`. Prints what the server logs (the migration's time and
# the ETags it computed again) and the wall time.
#
#   bash bench/migration.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=${CARGO_TARGET_DIR:-$PWD/target/generated-crates}

cargo build --quiet --release
apigen=target/release/apigen
cp specs/people.toml "$work/spec.toml"
"$apigen" new "$work/spec.toml" --out "$work/crate" > /dev/null
build() { (cd "$work/crate" && CARGO_TARGET_DIR="$target" cargo build --quiet --release); }
build
bin="$target/release/people-api"
"$bin" migrate --db "$work/people.db" 2> /dev/null   # a new database, at this version

echo "== inserting $rows documents"
python3 - "$work/people.db" "$rows" <<'PY'
import sqlite3, sys
db, rows = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(db)
conn.executemany(
    "INSERT INTO people (_id, firstname, lastname, age, born, _created, _updated, _etag) "
    "VALUES (?, ?, ?, ?, ?, 0, 0, 'x')",
    ((f"{n:024x}", "Zoë", f"Person {n}", n % 100, -473385600 + n) for n in range(rows)),
)
conn.commit()
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
ls -lh "$work/people.db" | awk '{print "database: " $5}'

echo "== adding score = { type = \"integer\", default = 0 }"
sed -i 's/^age = { type = "integer", min = 0, max = 150 }/&\nscore = { type = "integer", default = 0 }/' "$work/spec.toml"
"$apigen" generate --out "$work/crate"
build
echo "== people-api migrate"
start=$(date +%s.%N)
"$bin" migrate --db "$work/people.db"
end=$(date +%s.%N)
echo "wall time: $(echo "$end - $start" | bc) s for $rows documents"
