"""Live subscriptions that survive the connection being cut (the test's DropProxy
between the client and the server): the client reconnects by itself with
`Last-Event-ID` (Server-Sent Events) or resubscribes with `since` (the WebSocket of
`client.websocket`), and no event is lost or repeated. Sync (an iterator in a
thread, callbacks) and async (an async iterator, callbacks)."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import httpx
import pytest

from library_client import AsyncLibraryClient, AsyncLiveSocket, Book, Event, LibraryClient, LiveSocket


def proxy() -> tuple[str, str]:
    url = os.environ.get("APIGEN_LIBRARY_PROXY_URL")
    control = os.environ.get("APIGEN_PROXY_CONTROL_URL")
    if url is None or control is None:
        if os.environ.get("APIGEN_CLIENT_TESTS_REQUIRE_ALL"):
            pytest.fail("no DropProxy URLs")
        pytest.skip("no DropProxy (run through `cargo test --test client_python`)")
    return url, control


def cut(control: str) -> None:
    httpx.post(control, timeout=10).raise_for_status()


def wait_for(condition: object, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_subscription_survives_a_dropped_connection(library_url: str, tag: str) -> None:
    proxy_url, control = proxy()
    writer = LibraryClient(library_url)
    reader = LibraryClient(proxy_url)
    last = writer.oplog.find(sort="-_id", max_results=1).items
    since = last[0]["_id"] if last else 0
    sub = reader.books.subscribe(reader.books.mem.title.re(f"^{tag} "), since=since)
    got: list[Event[Book]] = []

    def follow() -> None:
        for event in sub:
            got.append(event)

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    assert sub.connected.wait(10), "the subscription connects"
    for i in range(3):
        writer.books.create({"title": f"{tag} {i}"})
    wait_for(lambda: len(got) == 3, "the first three events")
    cut(control)
    # Written while the client is cut off (or reconnecting): it must get them too.
    for i in range(3, 6):
        writer.books.create({"title": f"{tag} {i}"})
    wait_for(lambda: len(got) >= 6, "the events written during the cut")
    time.sleep(0.3)  # a repeated event would arrive now
    sub.close()
    thread.join(5)
    assert [e.data["title"] for e in got] == [f"{tag} {i}" for i in range(6)]
    assert [e.event for e in got] == ["insert"] * 6
    ids = [e.id for e in got]
    assert len(set(ids)) == 6
    assert sub.reconnects >= 1
    writer.close()
    reader.close()


def test_an_async_subscription_survives_a_dropped_connection(library_url: str, tag: str) -> None:
    proxy_url, control = proxy()

    async def main() -> None:
        async with AsyncLibraryClient(library_url) as writer, AsyncLibraryClient(proxy_url) as reader:
            last = (await writer.oplog.find(sort="-_id", max_results=1)).items
            since = last[0]["_id"] if last else 0
            sub = reader.books.subscribe(reader.books.mem.title.re(f"^{tag} "), since=since)
            got: list[Event[Book]] = []

            async def follow() -> None:
                async for event in sub:
                    got.append(event)
                    if len(got) == 3:
                        await asyncio.to_thread(cut, control)
                        for i in range(3, 6):
                            await writer.books.create({"title": f"{tag} {i}"})
                    if len(got) == 6:
                        sub.close()
                        return

            for i in range(3):
                await writer.books.create({"title": f"{tag} {i}"})
            await asyncio.wait_for(follow(), 20)
            assert [e.data["title"] for e in got] == [f"{tag} {i}" for i in range(6)]
            assert len({e.id for e in got}) == 6
            assert sub.reconnects >= 1

    asyncio.run(main())


def test_a_websocket_survives_a_dropped_connection(library_url: str, tag: str) -> None:
    """flowthings' `websocket.connect`: two subscriptions on one WebSocket (to
    `books/events`, through the proxy); the proxy cuts it; the socket opens again and
    subscribes each with `since` = its last delivered event: each gets every event
    once, in order."""
    proxy_url, control = proxy()
    writer = LibraryClient(library_url)
    reader = LibraryClient(proxy_url)
    got_a: list[Event[object]] = []
    got_b: list[Event[object]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def on_message(ws: LiveSocket, resource: str, event: Event[object]) -> None:
        assert resource == "books"
        with lock:
            got_a.append(event)

    def only_b(ws: LiveSocket, resource: str, event: Event[object]) -> None:
        with lock:
            got_b.append(event)

    ws = reader.websocket.connect(
        on_message=on_message, on_error=lambda ws, error: errors.append(error)
    )
    a = ws.subscribe("books", reader.books.mem.title.re(f"^{tag} a "))
    b = ws.subscribe("books", reader.books.mem.title.re(f"^{tag} b "), callback=only_b)
    assert a.subscribed.wait(10) and b.subscribed.wait(10), errors
    for i in range(3):
        writer.books.create({"title": f"{tag} a {i}"})
        writer.books.create({"title": f"{tag} b {i}"})
    wait_for(lambda: len(got_a) == 3 and len(got_b) == 3, "the first events")
    cut(control)
    # Written while the socket is cut off (or reopening): they must arrive too.
    for i in range(3, 6):
        writer.books.create({"title": f"{tag} a {i}"})
        writer.books.create({"title": f"{tag} b {i}"})
    wait_for(lambda: len(got_a) >= 6 and len(got_b) >= 6, "the events written during the cut")
    time.sleep(0.3)  # a repeated event would arrive now
    ws.close()
    for name, got in (("a", got_a), ("b", got_b)):
        assert [e.data["title"] for e in got if isinstance(e.data, dict)] == [
            f"{tag} {name} {i}" for i in range(6)
        ]
        assert [e.event for e in got] == ["insert"] * 6
        assert len({e.id for e in got}) == 6
    # One socket carried both; the cut made it open again, and the server accepted
    # each subscription on each connection.
    assert ws.opened >= 2 and ws.reconnects >= 1
    assert a.accepted >= 2 and b.accepted >= 2
    assert any(isinstance(e, ConnectionError) for e in errors), errors
    writer.close()
    reader.close()


def test_an_async_websocket_survives_a_dropped_connection(library_url: str, tag: str) -> None:
    proxy_url, control = proxy()

    async def main() -> None:
        async with AsyncLibraryClient(library_url) as writer, AsyncLibraryClient(proxy_url) as reader:
            got: list[Event[object]] = []
            done = asyncio.Event()

            async def on_message(ws: AsyncLiveSocket, resource: str, event: Event[object]) -> None:
                got.append(event)
                if len(got) == 3:
                    await asyncio.to_thread(cut, control)
                    for i in range(3, 6):
                        await writer.books.create({"title": f"{tag} {i}"})
                if len(got) == 6:
                    done.set()

            ws = reader.websocket.connect(on_message=on_message)
            sub = ws.subscribe("books", reader.books.mem.title.re(f"^{tag} "))
            await asyncio.wait_for(asyncio.to_thread(sub.subscribed.wait, 10), 15)
            for i in range(3):
                await writer.books.create({"title": f"{tag} {i}"})
            await asyncio.wait_for(done.wait(), 20)
            await asyncio.sleep(0.3)  # a repeated event would arrive now
            await ws.close()
            assert [e.data["title"] for e in got if isinstance(e.data, dict)] == [
                f"{tag} {i}" for i in range(6)
            ]
            assert len({e.id for e in got}) == 6
            assert ws.opened >= 2 and ws.reconnects >= 1 and sub.accepted >= 2

    asyncio.run(main())
