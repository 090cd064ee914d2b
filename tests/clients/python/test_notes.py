"""The notes client with every auth scheme the spec declares: Basic, a bearer
token, Eve's HMAC and the dataset API's signed requests (both computed by the
client), a JWT (HS256, made here with the standard library) and an API key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Callable

import httpx
import pytest

from notes_client import (
    ApiError,
    ApiKey,
    Basic,
    Event,
    Hmac,
    Jwt,
    LiveSocket,
    LiveSubscription,
    NotesClient,
    Signed,
    Token,
)


def secret(name: str) -> str:
    return os.environ.get(f"APIGEN_NOTES_{name.upper()}_SECRET", f"secret of {name}")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict[str, object], key: str) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_every_scheme(notes_url: str, tag: str) -> None:
    alice = NotesClient(notes_url, auth=Basic("alice", "password of alice"))
    written = alice.notes.create({"title": f"{tag} by alice"})
    assert isinstance(written, dict)
    mine = alice.notes.mem.title == f"{tag} by alice"
    assert [n["owner"] for n in alice.notes.find(mine)] == ["alice"]

    token = NotesClient(notes_url, auth=Token(os.environ["APIGEN_NOTES_TOKEN"]))
    assert [n["_id"] for n in token.notes.find(mine)] == [written["_id"]]

    bob = NotesClient(notes_url, auth=Hmac("bob", secret("bob")))
    bobs = bob.notes.create({"title": f"{tag} by bob", "body": "signed"})
    assert isinstance(bobs, dict)
    # Owned documents: bob never sees alice's note, and the same GET twice in one
    # second is signed twice (a signature is accepted once).
    assert bob.notes.find(mine).items == []
    assert bob.notes.find(mine).items == []
    assert bob.notes.get(bobs["_id"])["owner"] == "bob"
    bob.notes.update(bobs["_id"], {"body": "changed, with If-Match"})

    signed = NotesClient(notes_url, auth=Signed("alice", secret("alice"), "notes"))
    assert [n["_id"] for n in signed.notes.find(mine)] == [written["_id"]]

    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "https://login.notes.test",
        "aud": "notes-api",
        "sub": "alice",
        "roles": ["writer"],
        "iat": now,
        "exp": now + 300,
    }
    with_jwt = NotesClient(notes_url, auth=Jwt(jwt(claims, os.environ["APIGEN_NOTES_JWT_SECRET"])))
    assert [n["_id"] for n in with_jwt.notes.find(mine)] == [written["_id"]]
    forged = NotesClient(notes_url, auth=Jwt(jwt(claims, "not the issuer's key, but long enough")))
    with pytest.raises(ApiError) as refused:
        forged.notes.find()
    assert refused.value.status == 401
    assert refused.value.message == "Please provide proper credentials"

    machine = NotesClient(notes_url, auth=ApiKey(os.environ["APIGEN_NOTES_KEY"]))
    assert machine.status.find().items == []
    with pytest.raises(ApiError) as no_key:
        NotesClient(notes_url).status.find()
    assert no_key.value.status == 401

    # Several schemes at once: a user and an API key.
    both = NotesClient(
        notes_url, auth=[Basic("alice", "password of alice"), ApiKey(os.environ["APIGEN_NOTES_KEY"])]
    )
    assert len(both.notes.find(mine).items) == 1
    alice.notes.delete(written["_id"])
    for client in (alice, token, bob, signed, with_jwt, forged, machine, both):
        client.close()


def test_a_signed_websocket_signs_each_opening(notes_url: str, tag: str) -> None:
    """The live WebSocket under HMAC (a signature is accepted once) and signed-request
    auth: after the proxy cuts it, each socket opens again with auth computed anew
    (a replayed signature would be refused), resubscribes with `since`, and gets
    every event of its own notes once, in order; bob never sees alice's."""
    proxy_url = os.environ.get("APIGEN_NOTES_PROXY_URL")
    control = os.environ.get("APIGEN_NOTES_PROXY_CONTROL_URL")
    if proxy_url is None or control is None:
        if os.environ.get("APIGEN_CLIENT_TESTS_REQUIRE_ALL"):
            pytest.fail("no DropProxy URLs for notes")
        pytest.skip("no DropProxy (run through `cargo test --test client_python`)")
    bob_writes = NotesClient(notes_url, auth=Hmac("bob", secret("bob")))
    alice_writes = NotesClient(notes_url, auth=Basic("alice", "password of alice"))
    bob = NotesClient(proxy_url, auth=Hmac("bob", secret("bob")))
    alice = NotesClient(proxy_url, auth=Signed("alice", secret("alice"), "notes"))
    got: dict[str, list[Event[object]]] = {"bob": [], "alice": []}
    errors: list[BaseException] = []
    sockets: list[tuple[LiveSocket, LiveSubscription]] = []

    def keep(name: str) -> Callable[[LiveSocket, str, Event[object]], None]:
        return lambda ws, resource, event: got[name].append(event)

    for name, client in (("bob", bob), ("alice", alice)):
        ws = client.websocket.connect(
            on_message=keep(name), on_error=lambda ws, error: errors.append(error)
        )
        sub = ws.subscribe("notes", client.notes.mem.title.re(f"^{tag} "))
        assert sub.subscribed.wait(10), (name, sub.error, errors)
        sockets.append((ws, sub))

    def write(i: int) -> None:
        bob_writes.notes.create({"title": f"{tag} {i} by bob"})
        alice_writes.notes.create({"title": f"{tag} {i} by alice"})

    def titles(name: str) -> list[str]:
        return [e.data["title"] for e in got[name] if isinstance(e.data, dict)]

    def until(count: int) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(got["bob"]) >= count and len(got["alice"]) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out: {got}, {errors}")

    for i in range(2):
        write(i)
    until(2)
    httpx.post(control, timeout=10).raise_for_status()
    for i in range(2, 4):
        write(i)
    until(4)
    time.sleep(0.3)  # a repeated event would arrive now
    for ws, sub in sockets:
        ws.close()
        assert ws.opened >= 2 and sub.accepted >= 2 and sub.error is None, (sub.error, errors)
    for name in ("bob", "alice"):
        assert titles(name) == [f"{tag} {i} by {name}" for i in range(4)]
        assert len({e.id for e in got[name]}) == 4
    assert not [e for e in errors if isinstance(e, ApiError)], errors


def test_a_websocket_without_credentials_is_refused_once(notes_url: str, tag: str) -> None:
    """A refused opening (401) is reported to `on_error` and ends the subscriptions
    with the server's error; the socket does not knock again and again."""
    anonymous = NotesClient(notes_url)
    errors: list[BaseException] = []
    ws = anonymous.websocket.connect(on_error=lambda ws, error: errors.append(error))
    sub = ws.subscribe("notes", anonymous.notes.mem.title.re(f"^{tag} "))
    assert sub.subscribed.wait(10)
    time.sleep(0.5)
    ws.close()
    assert isinstance(sub.error, ApiError) and sub.error.status == 401, sub.error
    assert [e.status for e in errors if isinstance(e, ApiError)] == [401]
    assert ws.opened == 0 and sub.accepted == 0
