#!/usr/bin/env python3
"""What each auth scheme costs per request, on the notes example (specs/notes.toml).

    python3 bench/auth_schemes.py [-r ROUNDS] [-d 5s] [-w 2s] [-c 32] [-t 1] [-n DOCS]

Builds `cargo build --release -p notes-api` (or takes NOTES_BIN=path), serves it on
127.0.0.1 with a fresh database and NOTES_JWT_SECRET (48 random bytes, hex), makes the
credentials with the binary's own subcommands (`users add ... --password-stdin`,
`tokens create`, `keys create`), seeds DOCS documents into each measured collection,
and load-tests one GET per scheme with wrk (bench/wrk/get_fixed.lua, the credentials
in a fixed header):

  public   GET /api/v1/announcements?max_results=1   no credentials (the baseline)
  basic    GET /api/v1/comments?max_results=1        Authorization: Basic (argon2 once,
                                                     then the password cache)
  token    GET /api/v1/comments?max_results=1        Authorization: Bearer <issued token>
  jwt      GET /api/v1/comments?max_results=1        Authorization: Bearer <HS256 JWT>
  api_key  GET /api/v1/status?max_results=1          x-api-key: <key>

`comments` and `status` need credentials and `announcements` does not; each holds the
same number of small documents, and each request reads a page of one, so the
difference from `public` is what the guard adds (its middleware layer and its checks).
The scenarios run back to back in each round, in reverse order every other round; the
table gives medians over the rounds, and "added" is the median over the rounds of the
scheme's CPU per request minus the baseline's in the same round.

HMAC and the dataset API's signed requests cannot be replayed by wrk (the server
refuses a signature it has seen); their checks are timed by the runtime's ignored
`measure` tests instead:
  cargo test --release -p apigen-runtime --features auth -- --ignored --nocapture measure

Standard library only (plus wrk and curl-free HTTP through http.client).
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
ISSUER = "https://login.notes.test"  # specs/notes.toml, [api.issuers.local]
AUDIENCE = "notes-api"               # specs/notes.toml, audiences


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


def build():
    if os.environ.get("NOTES_BIN"):
        return os.path.realpath(os.environ["NOTES_BIN"])
    log("building notes-api (cargo build --release -p notes-api)")
    subprocess.run(["cargo", "build", "--release", "-p", "notes-api"], cwd=ROOT, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=ROOT,
                          check=True, capture_output=True, text=True).stdout
    return os.path.join(json.loads(meta)["target_directory"], "release", "notes-api")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_jwt(secret, claims):
    """A JWT signed with HMAC-SHA256, as the issuer `local` would sign it."""
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Http:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        conn.close()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, raw.decode(errors="replace")


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-t", type=int, default=1, help="wrk threads (1)")
    ap.add_argument("-c", type=int, default=32, help="wrk connections (32)")
    ap.add_argument("-d", default="5s", help="measured duration per run (5s)")
    ap.add_argument("-w", default="2s", help="warm-up duration per run (2s)")
    ap.add_argument("-r", type=int, default=5, help="rounds (5)")
    ap.add_argument("-n", type=int, default=3, help="documents in each measured collection (3)")
    ap.add_argument("-s", default="public,basic,token,jwt,api_key", help="scenarios, comma-separated")
    args = ap.parse_args()
    if not shutil.which("wrk"):  # as bench/run.sh does: from Debian
        log("installing wrk")
        sudo = [] if os.getuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), stdout=subprocess.DEVNULL)

    binary = build()
    tmp = tempfile.mkdtemp(prefix="apigen-auth-bench.")
    out = os.environ.get("OUT") or os.path.join(
        BENCH, "out", "auth-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    os.makedirs(out, exist_ok=True)
    db = os.path.join(tmp, "notes.db")
    secret = secrets.token_hex(24)  # 48 bytes of text: the HS256 key (at least 32)
    env = dict(os.environ, NOTES_JWT_SECRET=secret)

    def cli(*words, stdin=None):
        done = subprocess.run([binary, *words, "--db", db], env=env, input=stdin,
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{' '.join(words)}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    password = "correct horse battery staple"
    cli("users", "add", "bench", "--role", "writer", "--password-stdin", stdin=password + "\n")
    cli("users", "add", "editor", "--role", "editor", "--password-stdin", stdin=password + "\n")
    token = cli("tokens", "create", "--user", "bench")
    key = cli("keys", "create", "--consumer", "bench")
    now = int(time.time())
    jwt = hs256_jwt(secret.encode(), {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench",
                                      "roles": ["writer"], "iat": now, "nbf": now - 10,
                                      "exp": now + 24 * 3600})

    port = free_port()
    server_log = open(os.path.join(out, "server.log"), "w")
    server = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}", "--db", db],
                              env=env, stdout=server_log, stderr=subprocess.STDOUT)
    try:
        api = Http(port)
        deadline = time.monotonic() + 30
        while True:
            try:
                if api.request("GET", "/api/v1/announcements")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"notes-api did not start; see {server_log.name}")
            time.sleep(0.1)
        log(f"notes-api on 127.0.0.1:{port} (pid {server.pid}), database {db}")

        # Seed: the same small documents in each collection read.
        as_bench = {"Authorization": basic("bench", password)}
        status, note = api.request("POST", "/api/v1/notes", {"title": "Bench note"}, as_bench)
        assert status == 201, (status, note)
        for i in range(args.n):
            text = f"Bench item {i:03d}"
            status, body = api.request("POST", "/api/v1/comments", {"note": note["_id"], "text": text},
                                       as_bench)
            assert status == 201, (status, body)
            status, body = api.request("POST", "/api/v1/announcements", {"headline": text},
                                       {"Authorization": basic("editor", password)})
            assert status == 201, (status, body)
        # `status` has no POST (GET only, a key alone reads it): its rows go straight
        # into its table, with the meta columns of the announcements just made.
        with sqlite3.connect(db) as conn:
            cols = [r[1] for r in conn.execute("PRAGMA table_info(announcements)")]
            meta = [c for c in cols if c.startswith("_")]
            rows = conn.execute(f"SELECT {', '.join(meta)} FROM announcements").fetchall()
            for i, row in enumerate(rows):
                names = meta + ["service", "healthy"]
                conn.execute(f"INSERT INTO status ({', '.join(names)}) VALUES "
                             f"({', '.join('?' * len(names))})",
                             (*row, f"Bench item {i:03d}", 1))

        scenarios = {
            "public": ("/api/v1/announcements?max_results=1", None),
            "basic": ("/api/v1/comments?max_results=1", "Authorization: " + basic("bench", password)),
            "token": ("/api/v1/comments?max_results=1", f"Authorization: Bearer {token}"),
            "jwt": ("/api/v1/comments?max_results=1", f"Authorization: Bearer {jwt}"),
            "api_key": ("/api/v1/status?max_results=1", f"x-api-key: {key}"),
        }
        chosen = [s for s in args.s.split(",") if s]
        for s in chosen:
            if s not in scenarios:
                sys.exit(f"unknown scenario {s}; known: {', '.join(scenarios)}")
        # Each answers 200 with a page of one out of n, and without credentials 401.
        for s in chosen:
            path, header = scenarios[s]
            headers = dict([header.split(": ", 1)]) if header else {}
            status, body = api.request("GET", path, headers=headers)
            ok = status == 200 and body["_meta"]["total"] == args.n and len(body["_items"]) == 1
            if not ok:
                sys.exit(f"{s}: GET {path}: {status} {str(body)[:300]}")
            if header:
                status, _ = api.request("GET", path)
                if status != 401:
                    sys.exit(f"{s}: GET {path} without credentials: {status}, not 401")

        hz = os.sysconf("SC_CLK_TCK")
        rows = []  # (round, scenario, rps, p99_us, cpu_us, bad)
        log(f"load: wrk -t{args.t} -c{args.c}, warm-up {args.w} + measured {args.d} per scheme, "
            f"{args.r} round(s)")
        for rnd in range(1, args.r + 1):
            order = chosen if rnd % 2 else list(reversed(chosen))
            for s in order:
                path, header = scenarios[s]
                for phase, dur in (("warm", args.w), ("measure", args.d)):
                    cmd = ["wrk", f"-t{args.t}", f"-c{args.c}", f"-d{dur}", "--timeout", "5s",
                           "-s", os.path.join(BENCH, "wrk", "get_fixed.lua")]
                    if header:
                        cmd += ["-H", header]
                    cmd.append(f"http://127.0.0.1:{port}{path}")
                    t0 = cpu_ticks(server.pid)
                    res = subprocess.run(cmd, capture_output=True, text=True)
                    t1 = cpu_ticks(server.pid)
                    with open(os.path.join(out, f"{s}-r{rnd}-{phase}.log"), "w") as f:
                        f.write(res.stdout + res.stderr)
                    if phase != "measure":
                        continue
                    line = next((l for l in res.stdout.splitlines() if l.startswith("RESULT ")), None)
                    if line is None:
                        sys.exit(f"wrk gave no RESULT for {s}: {res.stdout}{res.stderr}")
                    kv = dict(p.split("=") for p in line.split()[1:])
                    req = int(kv["requests"])
                    bad = int(kv["non2xx"]) + sum(int(kv[k]) for k in
                                                  ("connect_err", "read_err", "write_err", "timeout_err"))
                    cpu = (t1 - t0) / hz * 1e6 / req if req else 0.0
                    rows.append((rnd, s, float(kv["rps"]), int(kv["p99_us"]), cpu, bad))
                    log(f"round {rnd}: {s}: {float(kv['rps']):.0f} req/s, {cpu:.1f} us CPU/req"
                        + (f", {bad} non-2xx/errors" if bad else ""))
                    first = next((l for l in res.stdout.splitlines() if l.startswith("FIRST_NON2XX")), None)
                    if first:
                        log(f"  {s}: {first[:300]}")
        hwm = "?"
        with open(f"/proc/{server.pid}/status") as f:
            for l in f:
                if l.startswith("VmHWM"):
                    hwm = f"{int(l.split()[1]) / 1024:.0f}"
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    def per_round(s, i):
        return {r[0]: r[i] for r in rows if r[1] == s}

    lines = [
        "",
        f"apigen auth schemes  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {os.cpu_count()} cores  "
        f"wrk -t{args.t} -c{args.c} -d{args.d} (warm-up {args.w}), {args.r} round(s), {args.n} documents each",
        f"server: {binary}",
    ]
    hdr = (f"{'scheme':<9}{'request':<40}{'req/s':>8}{'p99':>9}{'vs public':>10}"
           f"{'CPU/req':>10}{'added CPU':>11}  non-2xx")
    lines += [hdr, "-" * len(hdr)]
    base_cpu, base_rps = per_round("public", 4), per_round("public", 2)
    errors = False
    for s in chosen:
        rps, cpu = per_round(s, 2), per_round(s, 4)
        p99 = statistics.median(per_round(s, 3).values()) / 1000
        bad = sum(per_round(s, 5).values())
        errors = errors or bad > 0
        if s != "public" and base_cpu:
            added = statistics.median(cpu[r] - base_cpu[r] for r in cpu if r in base_cpu)
            ratio = statistics.median(rps[r] / base_rps[r] for r in rps if base_rps.get(r))
            added_s, ratio_s = f"{added:+.1f}us", f"{ratio:.2f}"
        else:
            added_s, ratio_s = "-", "1.00" if s == "public" else "-"
        lines.append(f"{s:<9}{scenarios[s][0].replace('/api/v1/', ''):<40}{statistics.median(rps.values()):>8.0f}"
                     f"{p99:>7.2f}ms{ratio_s:>10}{statistics.median(cpu.values()):>8.1f}us{added_s:>11}"
                     f"  {bad}{'  <-- ERRORS' if bad else ''}")
    lines += [
        "req/s, p99 and CPU/req (server CPU time per request, /proc) are medians over the rounds;",
        "vs public: median per-round req/s ratio to the public baseline; added CPU: median",
        "per-round CPU/req minus the baseline's.",
        f"peak RSS {hwm} MiB. logs: {out}",
    ]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(text + "\n")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
