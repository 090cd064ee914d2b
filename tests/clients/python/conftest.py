"""Shared fixtures of the Python client tests: the servers' URLs come from the
environment (tests/client_python.rs starts the servers and sets them)."""

from __future__ import annotations

import os
import uuid

import pytest


def env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        if os.environ.get("APIGEN_CLIENT_TESTS_REQUIRE_ALL"):
            pytest.fail(f"{name} is not set")
        pytest.skip(f"{name} is not set (run through `cargo test --test client_python`)")
    return value


@pytest.fixture
def library_url() -> str:
    return env("APIGEN_LIBRARY_URL")


@pytest.fixture
def notes_url() -> str:
    return env("APIGEN_NOTES_URL")


@pytest.fixture
def tables_url() -> str:
    return env("APIGEN_TABLES_URL")


@pytest.fixture
def crm_url() -> str:
    return env("APIGEN_CRM_URL")


@pytest.fixture
def tag() -> str:
    """A word no other test uses: tests share servers, so each marks its documents."""
    return "t" + uuid.uuid4().hex[:10]
