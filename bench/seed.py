#!/usr/bin/env python3
"""Seed one server with the benchmark's `people` through its HTTP API.

Every server gets the same documents (a fixed random seed): unique lastnames
`Doe00000`..`Doe09999`, ages 0-150, a city in `location`, and so on. They go in as
bulk POSTs (a JSON list per request, all-or-nothing); a server that refuses a list is
seeded one document per POST instead, over one keep-alive connection.

Writes into --out:
  ids.txt        one _id per line, in seeding order
  lastnames.txt  the matching lastnames
  ages.txt       the matching ages (the GET page scenario filters on them)
  patch.txt      "<_id> <_etag>" per line (the PATCH scenario's starting If-Match)

Standard library only.
"""

import argparse
import http.client
import json
import random
import sys
import time
import urllib.parse
from email.utils import formatdate

FIRSTNAMES = ["John", "Jane", "Serena", "Mark", "Anne", "Paolo", "Nicola", "Ada",
              "Grace", "Linus", "Guido", "Ken", "Dennis", "Barbara", "Edsger", "Frances"]
CITIES = ["Paris", "Rome", "Berlin", "Madrid", "Lisbon", "Vienna", "Prague", "Oslo",
          "Dublin", "Athens", "Warsaw", "Zurich"]
ROLES = ["author", "contributor", "copy"]


def documents(count, seed=42):
    rng = random.Random(seed)
    for i in range(count):
        first = rng.choice(FIRSTNAMES)
        doc = {
            "firstname": first,
            "lastname": f"Doe{i:05d}",
            "role": rng.sample(ROLES, rng.randint(1, 2)),
            # 1970..2005 (HTTP dates start at the epoch), whole seconds, RFC 1123
            "born": formatdate(rng.randint(0, 1104537600), usegmt=True),
            "age": rng.randint(0, 150),
            "email": f"{first.lower()}.{i}@example.com",
            "location": {"address": f"{rng.randint(1, 999)} Main St", "city": rng.choice(CITIES)},
        }
        # A third leave `status` out, so the default ("active") is exercised too.
        roll = rng.random()
        if roll < 0.5:
            doc["status"] = "active"
        elif roll < 0.67:
            doc["status"] = "retired"
        yield doc


def header_arg(text):
    """`--header NAME:VALUE` (run.sh's API key: `x-api-key:<key>`) as a (name, value) pair."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"not NAME:VALUE: {text!r}")
    return name.strip(), value.strip()


class Client:
    def __init__(self, base, headers=()):
        url = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = url.hostname, url.port, url.path.rstrip("/")
        # Sent with every request (e.g. an API key), under the request's own.
        self.headers = dict(headers)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(self.headers)
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        for attempt in range(2):
            try:
                self.conn.request(method, self.prefix + path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return resp.status, resp.headers, payload


def seed(client, docs, batch):
    """POST the documents; return [(id, etag)] in order."""
    out = []
    bulk = batch > 1
    i = 0
    while i < len(docs):
        if bulk:
            chunk = docs[i:i + batch]
            status, _, body = client.request("POST", "/people", chunk)
            items = body.get("_items") if isinstance(body, dict) else None
            if status == 201 and isinstance(items, list) and len(items) == len(chunk):
                out.extend((it["_id"], it["_etag"]) for it in items)
                i += len(chunk)
                continue
            if i == 0 and not (isinstance(body, dict) and "_items" in body):
                print(f"  bulk POST refused ({status}: {str(body)[:200]}); seeding one by one",
                      file=sys.stderr)
                bulk = False
                continue
            sys.exit(f"seed: bulk POST failed at document {i}: {status} {str(body)[:300]}")
        status, _, body = client.request("POST", "/people", docs[i])
        if status != 201 or not isinstance(body, dict) or "_id" not in body:
            sys.exit(f"seed: POST failed at document {i}: {status} {str(body)[:300]}")
        out.append((body["_id"], body["_etag"]))
        i += 1
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8080/api/v1")
    ap.add_argument("--out", required=True, help="directory for ids.txt, lastnames.txt, patch.txt")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=500, help="documents per bulk POST (1: no bulk)")
    ap.add_argument("--header", type=header_arg, action="append", default=[], metavar="NAME:VALUE",
                    help="a header sent with every request (repeatable), e.g. x-api-key:KEY")
    args = ap.parse_args()

    docs = list(documents(args.count))
    client = Client(args.base, args.header)
    started = time.monotonic()
    pairs = seed(client, docs, args.batch)
    elapsed = time.monotonic() - started

    ids = [p[0] for p in pairs]
    if len(set(ids)) != len(ids) or not all(len(x) == 24 for x in ids):
        sys.exit("seed: ids are not 24-character and unique")
    # The store must agree: every seeded lastname is found by an equality `where`.
    probe = docs[len(docs) // 2]["lastname"]
    q = urllib.parse.urlencode({"where": json.dumps({"lastname": probe}), "max_results": 25})
    status, _, body = client.request("GET", "/people?" + q)
    if status != 200 or not isinstance(body, dict) or len(body.get("_items", [])) != 1:
        sys.exit(f"seed: GET ?where lastname={probe} gave {status} {str(body)[:300]}")

    with open(f"{args.out}/ids.txt", "w") as f:
        f.writelines(i + "\n" for i in ids)
    with open(f"{args.out}/lastnames.txt", "w") as f:
        f.writelines(d["lastname"] + "\n" for d in docs)
    with open(f"{args.out}/ages.txt", "w") as f:
        f.writelines(f"{d['age']}\n" for d in docs)
    with open(f"{args.out}/patch.txt", "w") as f:
        f.writelines(f"{i} {e}\n" for i, e in pairs)
    print(f"  seeded {len(pairs)} people in {elapsed:.2f}s ({len(pairs) / elapsed:.0f} docs/s)")


if __name__ == "__main__":
    main()
