#!/usr/bin/env bash
# Instructions a people-api binary runs for 2,000 item GETs on one keep-alive
# connection, under callgrind (deterministic, whatever else the machine does): compare
# two builds of the same scenario, e.g. the plain and the `variants.sh limits` build.
#
#   bash bench/callgrind_item.sh BINARY LABEL   # then callgrind_annotate /tmp/cg-LABEL.out
set -euo pipefail
bin=$1; label=$2
rm -f /tmp/cg-$label.db*
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --callgrind-out-file=/tmp/cg-$label.out "$bin" serve --addr 127.0.0.1:$port --db /tmp/cg-$label.db >/tmp/cg-$label.log 2>&1 &
pid=$!
for _ in $(seq 200); do curl -sf http://127.0.0.1:$port/api/v1/people >/dev/null 2>&1 && break; sleep 0.2; done
id=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"firstname":"a","lastname":"b"}' http://127.0.0.1:$port/api/v1/people | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
python3 - $port $id <<'PY'
import http.client, sys
port, id = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(2000):
    c.request("GET", f"/api/v1/people/{id}")
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
PY
kill -INT $pid; wait $pid 2>/dev/null || true
callgrind_annotate "/tmp/cg-$label.out" 2>/dev/null | grep "PROGRAM TOTALS"
