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

import pytest

from notes_client import ApiError, ApiKey, Basic, Hmac, Jwt, NotesClient, Signed, Token


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
