"""Bulk-create 10,000 documents through the Python client, sync then async, and print
documents per second. Not a test (pytest collects `test_*.py` only):

    target/release/library-api serve --addr 127.0.0.1:18200 --db /tmp/bench.db &
    PYTHONPATH=generated-example/library/clients/python/src \\
        $(tests/clients/python/install.sh) tests/clients/python/bench_bulk.py \\
        http://127.0.0.1:18200 [documents] [per request] [concurrency]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

from library_client import AsyncLibraryClient, BookInput, LibraryClient


def chunks(tag: str, total: int, size: int) -> list[list[BookInput]]:
    docs: list[BookInput] = [
        {"title": f"{tag} {i}", "pages": 1 + i % 900, "tags": ["bench"]} for i in range(total)
    ]
    return [docs[i : i + size] for i in range(0, total, size)]


def sync_run(url: str, total: int, size: int) -> float:
    batches = chunks("sync-" + uuid.uuid4().hex[:8], total, size)
    with LibraryClient(url) as client:
        start = time.perf_counter()
        for batch in batches:
            result = client.books.create(batch)
            assert result.ok, result.error
        elapsed = time.perf_counter() - start
    return total / elapsed


async def async_run(url: str, total: int, size: int, concurrency: int) -> float:
    batches = chunks("async-" + uuid.uuid4().hex[:8], total, size)
    async with AsyncLibraryClient(url) as client:
        lazy = client.lazy(concurrency)
        start = time.perf_counter()
        tasks = [lazy(client.books.create, batch) for batch in batches]
        for task in tasks:
            result = await task
            assert result.ok, result.error
        elapsed = time.perf_counter() - start
    return total / elapsed


def main() -> None:
    url = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    print(f"sync:  {total} documents, {size} per request: {sync_run(url, total, size):,.0f} documents/s")
    rate = asyncio.run(async_run(url, total, size, concurrency))
    print(f"async: {total} documents, {size} per request, {concurrency} at once: {rate:,.0f} documents/s")


if __name__ == "__main__":
    main()
