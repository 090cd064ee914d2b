"""The load half of bench/limits.sh: see there. Prints what passed per rate-limit
window and the server's RSS around many distinct clients."""

import argparse
import collections
import http.client
import socket
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def hammer(port, duration, connections):
    """GETs from one client address as fast as `connections` keep-alive connections
    go: (window end -> admitted) and the count of 429s."""
    admitted = collections.Counter()
    refused = [0]
    other = collections.Counter()
    lock = threading.Lock()
    stop = time.monotonic() + duration

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, mine_refused, mine_other = collections.Counter(), 0, collections.Counter()
        while time.monotonic() < stop:
            conn.request("GET", "/api/v1/items")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                mine[int(response.getheader("X-RateLimit-Reset"))] += 1
            elif response.status == 429:
                mine_refused += 1
            else:
                mine_other[response.status] += 1
        with lock:
            admitted.update(mine)
            refused[0] += mine_refused
            other.update(mine_other)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return admitted, refused[0], other


def distinct_clients(port, count, first):
    """One GET from each of `count` client addresses, 127.x.y.z from `first` on."""
    statuses = collections.Counter()
    for i in range(first, first + count):
        address = f"127.{1 + ((i >> 16) & 0xFF)}.{(i >> 8) & 0xFF}.{i & 0xFF}"
        sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(address, 0))
        sock.sendall(b"GET /api/v1/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = sock.recv(64)
        statuses[data.split(b" ", 2)[1].decode()] += 1
        sock.close()
    return statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--addresses", type=int, default=100000)
    args = parser.parse_args()

    print(f"1. rate limit 1000 GETs per 1 s window; one client, {args.connections} connections, {args.duration} s")
    admitted, refused, other = hammer(args.port, args.duration, args.connections)
    windows = sorted(admitted)
    print("   window end (epoch s)  admitted")
    for window in windows:
        print(f"   {window:>20}  {admitted[window]:>8}")
    total = sum(admitted.values())
    print(f"   admitted {total}, refused 429: {refused}, other: {dict(other)}; most in one window: {max(admitted.values())} (limit 1000)")

    print(f"2. server RSS with {args.addresses} distinct client addresses, twice")
    before = rss_kib(args.pid)
    started = time.monotonic()
    first = distinct_clients(args.port, args.addresses, 0)
    after_first = rss_kib(args.pid)
    second = distinct_clients(args.port, args.addresses, args.addresses)
    after_second = rss_kib(args.pid)
    elapsed = time.monotonic() - started
    print(f"   RSS before: {before} KiB; after {args.addresses} addresses: {after_first} KiB; after {2 * args.addresses}: {after_second} KiB ({elapsed:.0f} s)")
    print(f"   statuses: {dict(first + second)}")


if __name__ == "__main__":
    main()
