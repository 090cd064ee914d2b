"""The client runtime: what no spec changes.

HTTP on httpx (sync and async), Eve's error envelope as exceptions, ETags and
`If-Match`, pagination along `_links`, the filter builder (`mem`, `AND`, `OR`),
diff updates, auth schemes computed as the server checks them, opt-in retry with
back-off, batches and lazy bounded concurrency, live subscriptions over
Server-Sent Events (reconnecting with `Last-Event-ID`) and over one WebSocket per
collection (websockets; resubscribing with `since`), and table imports.

The generated modules beside this one hold what the spec decides: typed documents,
typed field objects and one method per operation.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac as _hmac
import json
import os
import random
import threading
import time
import urllib.parse
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import (
    IO,
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Generic,
    Iterator,
    Mapping,
    ParamSpec,
    Required,
    Sequence,
    TypedDict,
    TypeVar,
    Union,
    cast,
)

import httpx
import websockets.exceptions
from websockets.asyncio.client import ClientConnection as AsyncClientConnection
from websockets.asyncio.client import connect as _ws_aconnect
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as _ws_connect

T = TypeVar("T")
D = TypeVar("D")
R = TypeVar("R")
P = ParamSpec("P")

Json = Any
"""A JSON value as `json.loads` gives it."""

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """Any answer that is not a success: the HTTP status, Eve's `_error` and the
    `_issues` map (field -> message), never a bare status code."""

    def __init__(
        self,
        status: int,
        error: Json = None,
        issues: Mapping[str, Json] | None = None,
        body: Json = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.issues: dict[str, Json] = dict(issues or {})
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{status}: {self.message}")

    @property
    def message(self) -> str:
        """Eve's `_error.message` (or the whole `_error` when it is text)."""
        if isinstance(self.error, dict):
            return str(self.error.get("message", ""))
        return "" if self.error is None else str(self.error)

    @property
    def items(self) -> list[Json]:
        """A rejected bulk insert's per-item results (`_items`)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("_items"), list):
            return list(self.body["_items"])
        return []


class NotFoundError(ApiError):
    """404: no such document (or route)."""


class ValidationError(ApiError):
    """422: the document or parameters break the rules; see `issues`."""


class ConflictError(ApiError):
    """412: the document changed since its ETag was read. Resolve it by fetching the
    document again (`get`) and re-applying the change."""


class RateLimited(ApiError):
    """429: a quota or rate limit is spent; `retry_after` is the server's
    `Retry-After`, in seconds."""

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


def _error_for(response: httpx.Response) -> ApiError:
    body: Json
    try:
        body = response.json()
    except ValueError:
        body = response.text
    error: Json = None
    issues: Mapping[str, Json] | None = None
    if isinstance(body, dict):
        error = body.get("_error")
        raw = body.get("_issues")
        if isinstance(raw, dict):
            issues = raw
    headers = {k.lower(): v for k, v in response.headers.items()}
    kind: type[ApiError] = {
        404: NotFoundError,
        412: ConflictError,
        422: ValidationError,
        429: RateLimited,
    }.get(response.status_code, ApiError)
    return kind(response.status_code, error, issues, body, headers)


# ---------------------------------------------------------------------------
# Filters, sort, projection
# ---------------------------------------------------------------------------


class Filter:
    """A `where` condition, as Eve reads it (MongoDB's JSON). Combine with `&` / `|`,
    `AND(...)` / `OR(...)`, or `f.AND(g)` / `f.OR(g)` as flowthings does."""

    def __init__(self, where: Mapping[str, Json]) -> None:
        self.where: dict[str, Json] = dict(where)

    def __and__(self, other: Filter) -> Filter:
        return AND(self, other)

    def __or__(self, other: Filter) -> Filter:
        return OR(self, other)

    def AND(self, *others: Filter) -> Filter:  # noqa: N802 (flowthings' name)
        return AND(self, *others)

    def OR(self, *others: Filter) -> Filter:  # noqa: N802 (flowthings' name)
        return OR(self, *others)

    def __repr__(self) -> str:
        return f"Filter({json.dumps(self.where)})"


def AND(*filters: Filter) -> Filter:  # noqa: N802
    """Every condition holds (`$and`)."""
    if len(filters) == 1:
        return filters[0]
    return Filter({"$and": [f.where for f in filters]})


def OR(*filters: Filter) -> Filter:  # noqa: N802
    """Any condition holds (`$or`)."""
    if len(filters) == 1:
        return filters[0]
    return Filter({"$or": [f.where for f in filters]})


def NOT(condition: Filter) -> Filter:  # noqa: N802
    """The condition does not hold (`$nor` of one)."""
    return Filter({"$nor": [condition.where]})


class Field(Generic[T]):
    """A field of a resource's documents, for filters (`==`, `<`, ...), sort keys
    (`.asc()`, `.desc()`) and projections. Comparisons take values of the field's
    type, so `Book.pages > "3"` is a type error."""

    def __init__(self, path: str) -> None:
        self.path = path

    def _op(self, op: str, value: Json) -> Filter:
        return Filter({self.path: {op: value}})

    def __eq__(self, value: T) -> Filter:  # type: ignore[override]
        return Filter({self.path: value})

    def __ne__(self, value: T) -> Filter:  # type: ignore[override]
        return self._op("$ne", value)

    def __lt__(self, value: T) -> Filter:
        return self._op("$lt", value)

    def __le__(self, value: T) -> Filter:
        return self._op("$lte", value)

    def __gt__(self, value: T) -> Filter:
        return self._op("$gt", value)

    def __ge__(self, value: T) -> Filter:
        return self._op("$gte", value)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values: Sequence[T]) -> Filter:
        """One of `values` (`$in`)."""
        return self._op("$in", list(values))

    def not_in(self, values: Sequence[T]) -> Filter:
        """None of `values` (`$nin`)."""
        return self._op("$nin", list(values))

    def exists(self, present: bool = True) -> Filter:
        """The document has (or lacks) the field (`$exists`)."""
        return self._op("$exists", present)

    def asc(self) -> str:
        """A sort key, ascending."""
        return self.path

    def desc(self) -> str:
        """A sort key, descending."""
        return "-" + self.path

    def __repr__(self) -> str:
        return f"Field({self.path!r})"


class StrField(Field[T]):
    """A text field (strings, dates, object ids): also `.re(pattern, flags)`."""

    def re(self, pattern: str, flags: str = "") -> Filter:
        """Matches the regular expression (`$regex`, `$options`: i, m, s, x)."""
        condition: dict[str, Json] = {"$regex": pattern}
        if flags:
            condition["$options"] = flags
        return Filter({self.path: condition})


class AnyField(StrField[Any]):
    """A field named at run time (`mem.elems.foo`): any attribute is a sub-field."""

    def __getattr__(self, name: str) -> AnyField:
        if name.startswith("__"):
            raise AttributeError(name)
        return AnyField(f"{self.path}.{name}")


class _Members:
    """flowthings' `mem`: `mem.title == "x"`, `mem.author.name.re("^A")`."""

    def __getattr__(self, name: str) -> AnyField:
        if name.startswith("__"):
            raise AttributeError(name)
        return AnyField(name)


mem = _Members()

Where = Union[Filter, Mapping[str, Json], str]
Sort = Union[str, Field[Any], Sequence[Union[str, Field[Any], tuple[str, int]]]]
Projection = Union[Mapping[str, int], Sequence[Union[str, Field[Any]]]]
Embedded = Union[Mapping[str, int], Sequence[Union[str, Field[Any]]]]


def _where(filters: Sequence[Filter], where: Where | None) -> str | None:
    parts: list[Filter] = list(filters)
    if isinstance(where, str):
        if parts:
            raise TypeError("a `where` text cannot be combined with filters")
        return where
    if isinstance(where, Filter):
        parts.append(where)
    elif where is not None:
        parts.append(Filter(where))
    if not parts:
        return None
    return json.dumps(AND(*parts).where, separators=(",", ":"))


def _sort(sort: Sort | None) -> str | None:
    if sort is None:
        return None
    keys: Sequence[Any] = [sort] if isinstance(sort, (str, Field)) else sort
    out = []
    for key in keys:
        if isinstance(key, Field):
            out.append(key.path)
        elif isinstance(key, tuple):
            out.append(("-" if key[1] < 0 else "") + key[0])
        else:
            out.append(str(key))
    return ",".join(out)


def _fields(value: Projection | Embedded | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return json.dumps(dict(value), separators=(",", ":"))
    return json.dumps(
        {(v.path if isinstance(v, Field) else str(v)): 1 for v in value},
        separators=(",", ":"),
    )


def quote(value: Json) -> str:
    """A path parameter (an id, a lookup value), percent-encoded for one segment."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return urllib.parse.quote(str(value), safe="")


def _placeholders(
    given: Mapping[str, Json] | None, keywords: Mapping[str, Json]
) -> dict[str, Json] | None:
    """An aggregation's `aggregate` values: the mapping given, then the keywords set."""
    out = dict(given or {})
    out.update({k: v for k, v in keywords.items() if v is not None})
    return out or None


def _query(**params: Json) -> dict[str, str]:
    """Query parameters, leaving out `None`; JSON for lists and dicts."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (dict, list)):
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            out[name] = str(value)
    return out


# ---------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------


class Auth:
    """A way of proving who calls: adds headers or parameters to each request."""

    def apply(self, request: httpx.Request) -> None:
        raise NotImplementedError


class ApiKey(Auth):
    """An API key (`x-api-key`); it names a consumer, not a user."""

    def __init__(self, key: str) -> None:
        self.key = key

    def apply(self, request: httpx.Request) -> None:
        request.headers["x-api-key"] = self.key


class Basic(Auth):
    """HTTP Basic: a user of the server's users table and their password."""

    def __init__(self, user: str, password: str) -> None:
        self.header = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = self.header


class Token(Auth):
    """A bearer token (`notes-api tokens create`)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def apply(self, request: httpx.Request) -> None:
        request.headers["Authorization"] = f"Bearer {self.token}"


class Jwt(Token):
    """A JWT from one of the API's issuers, sent as a bearer token."""


class Hmac(Auth):
    """Eve's HMAC: `Authorization: <user>:<hex HMAC-SHA256>` of
    `METHOD\\nTARGET\\nX-Timestamp\\nhex(SHA-256(body))`, keyed with the user's secret.
    A signature is accepted once, so two identical requests in one second wait for
    the next second."""

    def __init__(self, user: str, secret: str) -> None:
        self.user = user
        self.secret = secret.encode()
        self._lock = threading.Lock()
        self._recent: dict[str, int] = {}

    def apply(self, request: httpx.Request) -> None:
        body = request.read()
        target = request.url.raw_path.decode("ascii")
        digest = hashlib.sha256(body).hexdigest()
        with self._lock:
            while True:
                stamp = int(time.time())
                text = f"{request.method}\n{target}\n{stamp}\n{digest}"
                signature = _hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()
                if self._recent.get(signature) != stamp:
                    break
                time.sleep(1.0 - (time.time() % 1.0) + 0.001)
            self._recent = {k: v for k, v in self._recent.items() if v == stamp}
            self._recent[signature] = stamp
        request.headers["X-Timestamp"] = str(stamp)
        request.headers["Authorization"] = f"{self.user}:{signature}"


class Signed(Auth):
    """The dataset API's signed requests: `visitor`, `stamp` (ms), `type` and
    `token = hex(SHA1(key + stamp + visitor + type))` in the query string."""

    def __init__(self, visitor: str, key: str, type: str) -> None:
        self.visitor = visitor
        self.key = key
        self.type = type
        self._lock = threading.Lock()
        self._last = 0

    def apply(self, request: httpx.Request) -> None:
        with self._lock:
            stamp = max(int(time.time() * 1000), self._last + 1)
            self._last = stamp
        token = hashlib.sha1(f"{self.key}{stamp}{self.visitor}{self.type}".encode()).hexdigest()
        request.url = request.url.copy_merge_params(
            {"visitor": self.visitor, "stamp": str(stamp), "type": self.type, "token": token}
        )


AuthLike = Union[Auth, Sequence[Auth], None]


def _auths(auth: AuthLike) -> list[Auth]:
    if auth is None:
        return []
    if isinstance(auth, Auth):
        return [auth]
    return list(auth)


# ---------------------------------------------------------------------------
# Retry
# ---------------------------------------------------------------------------


@dataclass
class Retry:
    """Opt-in retries: a 429 (after its `Retry-After`), a 503 and connection
    errors, up to `attempts` tries, waiting `backoff * 2**n` (with jitter, at most
    `max_backoff`) when the server says nothing."""

    attempts: int = 4
    backoff: float = 0.2
    max_backoff: float = 30.0
    statuses: tuple[int, ...] = (429, 503)
    retried: int = 0
    """How many times a request was sent again (a count, for logs and tests)."""

    def delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            value = response.headers.get("retry-after")
            if value is not None:
                try:
                    return min(float(str(value)), self.max_backoff)
                except ValueError:
                    pass
        base = min(self.backoff * (2.0**attempt), self.max_backoff)
        return base * (0.5 + random.random() / 2)


# ---------------------------------------------------------------------------
# Pages and results
# ---------------------------------------------------------------------------


@dataclass
class Page(Generic[D]):
    """One page of a collection: its documents, Eve's `_meta` and `_links`."""

    items: list[D]
    meta: dict[str, Json] = field(default_factory=dict)
    links: dict[str, Json] = field(default_factory=dict)

    @property
    def total(self) -> int | None:
        value = self.meta.get("total")
        return value if isinstance(value, int) else None

    @property
    def next_href(self) -> str | None:
        link = self.links.get("next")
        return link.get("href") if isinstance(link, dict) else None

    def __iter__(self) -> Iterator[D]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class WriteResult(TypedDict, total=False):
    """What a write answers: the document's new meta fields."""

    _id: Required[Any]
    _etag: str
    _created: str
    _updated: str
    _status: str
    _version: int
    _latest_version: int
    _deleted: bool
    _links: dict[str, Any]
    _issues: dict[str, Any]


class RejectedRow(TypedDict):
    """A rejected row of an import: its number (the header is row 1) and issues."""

    row: int
    _issues: dict[str, Any]


class ImportReport(TypedDict):
    """An import's report."""

    rows: int
    inserted: int
    updated: int
    rejected: int
    replaced: int
    _rejected: list[RejectedRow]


ImportTable = Union[Sequence[Sequence[Any]], str, bytes, "os.PathLike[str]", IO[bytes]]
"""A table to import: rows (the first names the columns), CSV text, or a file."""


@dataclass
class ItemResult(Generic[D]):
    """One document of a bulk create: `ok` with its write result, or its issues."""

    ok: bool
    result: D | None
    issues: dict[str, Json]


@dataclass
class BulkResult(Generic[D]):
    """A bulk create's per-item results. When any item is refused, Eve writes none
    (`ok` is false; the good items' `ok` says they would have been accepted)."""

    ok: bool
    items: list[ItemResult[D]]
    error: ApiError | None = None


@dataclass
class Event(Generic[D]):
    """A live change: `event` is insert, update or delete; `id` the oplog position;
    `data` the document (only `_id` for a delete)."""

    event: str
    id: str | None
    data: D


# ---------------------------------------------------------------------------
# Documents: ETags and diffs
# ---------------------------------------------------------------------------


def diff(original: Mapping[str, Json], changed: Mapping[str, Json]) -> dict[str, Json]:
    """The top-level fields `changed` sets differently from `original` (system fields
    `_...` left out; a removed field is sent as null)."""
    out: dict[str, Json] = {}
    for key, value in changed.items():
        if key.startswith("_"):
            continue
        if key not in original or original[key] != value:
            out[key] = copy.deepcopy(value)
    for key in original:
        if not key.startswith("_") and key not in changed:
            out[key] = None
    return out


class M(Generic[D]):
    """flowthings' modification helper: change `m.doc`, then `m.changes()` is the
    diff a `save` would send."""

    def __init__(self, doc: D) -> None:
        self.original: dict[str, Json] = copy.deepcopy(cast(dict[str, Json], doc))
        self.doc = doc

    def changes(self) -> dict[str, Json]:
        return diff(self.original, cast(Mapping[str, Json], self.doc))


class _State:
    """What a client remembers between requests: the ETag and the served copy of
    each document read or written, by its item path."""

    def __init__(self) -> None:
        self.etags: dict[str, str] = {}
        self.copies: dict[str, dict[str, Json]] = {}

    def remember(self, path: str, doc: Json) -> None:
        if isinstance(doc, dict) and isinstance(doc.get("_etag"), str):
            self.etags[path] = doc["_etag"]
            self.copies[path] = copy.deepcopy(doc)

    def written(self, path: str, result: Json, changes: Mapping[str, Json] | None) -> None:
        if not isinstance(result, dict) or not isinstance(result.get("_etag"), str):
            return
        self.etags[path] = result["_etag"]
        kept = self.copies.get(path)
        if kept is not None and changes is not None:
            kept.update(copy.deepcopy(dict(changes)))
            for key in ("_etag", "_updated", "_version", "_latest_version"):
                if key in result:
                    kept[key] = result[key]
        elif changes is None:
            self.copies.pop(path, None)

    def forget(self, path: str) -> None:
        self.etags.pop(path, None)
        self.copies.pop(path, None)


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


Files = Mapping[str, tuple[str, Union[bytes, IO[bytes]], str]]


class _Core:
    """What the sync and async transports share: building requests, signing them,
    reading answers."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        auth: AuthLike,
        retry: Retry | None,
        headers: Mapping[str, str] | None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.prefix = prefix
        self.auth = _auths(auth)
        self.retry = retry
        self.headers = dict(headers or {})
        self.state = _State()

    def url(self, path: str, root: bool = False) -> str:
        if path.startswith("http://") or path.startswith("https://"):
            return path
        if path.startswith("/"):
            return self.base_url + path
        base = self.base_url if root else self.base_url + self.prefix
        return f"{base}/{path}" if path else base

    def link(self, href: str) -> str:
        """A `_links` href (relative to the API prefix, as Eve writes them)."""
        if href.startswith("http://") or href.startswith("https://") or href.startswith("/"):
            return self.url(href)
        return self.url(href)

    def sign(self, request: httpx.Request) -> httpx.Request:
        for auth in self.auth:
            auth.apply(request)
        return request

    @staticmethod
    def read(response: httpx.Response) -> Json:
        if response.status_code >= 400:
            raise _error_for(response)
        if response.status_code == 204 or not response.content:
            return None
        ctype = response.headers.get("content-type", "")
        if "json" in ctype:
            return response.json()
        return response.text


def _may_resend(method: str, error: httpx.TransportError) -> bool:
    """Whether a request that failed in transport may be sent again: one that never
    reached the server, or an idempotent one (never a POST or PATCH that may have
    been written)."""
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        return True
    return method.upper() in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")


class Http(_Core):
    """The sync transport (`httpx.Client`, thread-safe: batches share it)."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        auth: AuthLike = None,
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        super().__init__(base_url, prefix, auth, retry, headers)
        self.client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Json = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Files | None = None,
        root: bool = False,
    ) -> httpx.Response:
        attempt = 0
        while True:
            request = self.client.build_request(
                method,
                self.url(path, root),
                params=params,
                json=json_body,
                content=content,
                data=data,
                files=files,
                headers={**self.headers, **(headers or {})},
            )
            self.sign(request)
            response: httpx.Response | None = None
            try:
                response = self.client.send(request)
            except httpx.TransportError as error:
                if (
                    self.retry is None
                    or attempt + 1 >= self.retry.attempts
                    or not _may_resend(method, error)
                ):
                    raise
            if response is not None and (
                self.retry is None
                or response.status_code not in self.retry.statuses
                or attempt + 1 >= self.retry.attempts
            ):
                return response
            assert self.retry is not None
            time.sleep(self.retry.delay(attempt, response))
            self.retry.retried += 1
            attempt += 1

    def call(self, method: str, path: str, **kwargs: Any) -> Json:
        return self.read(self.send(method, path, **kwargs))


LANE_CONNECTIONS = 4
"""Connections of one `httpx.AsyncClient` lane of the async transport."""

MAX_LANES = 25
"""Lanes of the async transport at most (100 connections, httpx's own default)."""


class AsyncHttp(_Core):
    """The async transport: `httpx.AsyncClient`s in lanes of `LANE_CONNECTIONS`
    connections, each request on the least busy lane, a lane added when every lane
    is full (up to `MAX_LANES`). httpcore's pool does work for every open connection
    on each request (a keep-alive check per connection, two syscalls each; an
    O(connections²) idle count), so one pool of 16 busy connections spends twice the
    CPU per request of one connection; small pools keep that cost flat. A `client`
    given is used alone."""

    def __init__(
        self,
        base_url: str,
        prefix: str,
        auth: AuthLike = None,
        retry: Retry | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(base_url, prefix, auth, retry, headers)
        self._timeout = timeout
        self._fixed = client is not None
        self._ssl: Any = None
        self.client = client or self._lane()
        """The first lane (live streams use it)."""
        self._lanes: list[httpx.AsyncClient] = [self.client]
        self._busy: list[int] = [0]

    def _lane(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=LANE_CONNECTIONS, max_keepalive_connections=LANE_CONNECTIONS
        )
        if self._ssl is None:
            # One TLS context for every lane (loading the CA bundle takes ~30 ms).
            self._ssl = httpx.create_ssl_context()
        return httpx.AsyncClient(timeout=self._timeout, limits=limits, verify=self._ssl)

    def _pick(self) -> int:
        """The least busy lane (a new one when all are full): its index."""
        busy = self._busy
        best = min(range(len(busy)), key=busy.__getitem__)
        if busy[best] >= LANE_CONNECTIONS and not self._fixed and len(busy) < MAX_LANES:
            self._lanes.append(self._lane())
            busy.append(0)
            best = len(busy) - 1
        return best

    async def close(self) -> None:
        for lane in self._lanes:
            await lane.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Json = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        files: Files | None = None,
        root: bool = False,
    ) -> httpx.Response:
        attempt = 0
        while True:
            request = self.client.build_request(
                method,
                self.url(path, root),
                params=params,
                json=json_body,
                content=content,
                data=data,
                files=files,
                headers={**self.headers, **(headers or {})},
            )
            self.sign(request)
            response: httpx.Response | None = None
            lane = self._pick()
            self._busy[lane] += 1
            try:
                response = await self._lanes[lane].send(request)
            except httpx.TransportError as error:
                if (
                    self.retry is None
                    or attempt + 1 >= self.retry.attempts
                    or not _may_resend(method, error)
                ):
                    raise
            finally:
                self._busy[lane] -= 1
            if response is not None and (
                self.retry is None
                or response.status_code not in self.retry.statuses
                or attempt + 1 >= self.retry.attempts
            ):
                return response
            assert self.retry is not None
            await asyncio.sleep(self.retry.delay(attempt, response))
            self.retry.retried += 1
            attempt += 1

    async def call(self, method: str, path: str, **kwargs: Any) -> Json:
        return self.read(await self.send(method, path, **kwargs))


# ---------------------------------------------------------------------------
# Resources: what every generated resource class calls
# ---------------------------------------------------------------------------


def _page(body: Json) -> Page[Any]:
    if isinstance(body, list):  # an unpaged resource without HATEOAS
        return Page(items=body)
    if not isinstance(body, dict):
        return Page(items=[])
    return Page(
        items=list(body.get("_items", [])),
        meta=dict(body.get("_meta", {})),
        links=dict(body.get("_links", {})),
    )


def _bulk(body: Json, error: ApiError | None) -> BulkResult[Any]:
    raw: list[Json]
    if error is not None:
        raw = error.items
    elif isinstance(body, dict) and isinstance(body.get("_items"), list):
        raw = body["_items"]
    else:
        raw = [body]
    items: list[ItemResult[Any]] = [
        ItemResult(
            ok=isinstance(item, dict) and item.get("_status") != "ERR",
            result=item if error is None else None,
            issues=dict(item.get("_issues", {})) if isinstance(item, dict) else {},
        )
        for item in raw
    ]
    return BulkResult(ok=error is None, items=items, error=error)


def _import_body(
    table: Any, options: dict[str, str]
) -> tuple[dict[str, str], dict[str, Any]]:
    """Query parameters and the body arguments of an import: a 2-D array (JSON
    `ds`), CSV text, or a file (a path, bytes or a binary file object; multipart)."""
    if isinstance(table, str):
        return options, {
            "content": table.encode(),
            "headers": {"Content-Type": "text/csv"},
        }
    if isinstance(table, (bytes, bytearray)):
        return options, {"files": {"file": ("table.csv", bytes(table), "text/csv")}}
    if isinstance(table, os.PathLike):
        path = os.fspath(table)
        name = os.path.basename(str(path))
        kind = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if str(path).endswith(".xlsx")
            else "text/csv"
        )
        with open(path, "rb") as handle:
            return options, {"files": {"file": (name, handle.read(), kind)}}
    if hasattr(table, "read"):
        return options, {"files": {"file": ("table.csv", table.read(), "text/csv")}}
    return {}, {"json_body": {"ds": [list(row) for row in table], **options}}


class Collection:
    """The sync operations of one resource at `path` (a collection url, with any
    sub-resource fields filled in)."""

    def __init__(self, http: Http, path: str) -> None:
        self._http = http
        self._path = path

    def _item(self, id: Json) -> str:
        return f"{self._path}/{quote(id)}"

    def _etag(self, id: Json, etag: str | None) -> dict[str, str]:
        tag = etag or self._http.state.etags.get(self._item(id))
        if tag is None:
            self._get_item(id, {})
            tag = self._http.state.etags.get(self._item(id))
        return {"If-Match": tag} if tag else {}

    def _get_collection(self, params: dict[str, str]) -> Page[Any]:
        return _page(self._http.call("GET", self._path, params=params))

    def _pages(self, params: dict[str, str]) -> Iterator[Page[Any]]:
        page = self._get_collection(params)
        while True:
            yield page
            href = page.next_href
            if not href or not page.items:
                return
            page = _page(self._http.call("GET", self._http.link(href)))

    def _iterate(self, params: dict[str, str]) -> Iterator[Any]:
        for page in self._pages(params):
            yield from page.items

    def _post(self, docs: Json) -> Json:
        if isinstance(docs, list):
            try:
                body = self._http.call("POST", self._path, json_body=docs)
            except ValidationError as error:
                if error.items:
                    return _bulk(None, error)
                raise
            return _bulk(body, None)
        return self._http.call("POST", self._path, json_body=docs)

    def _delete_collection(self) -> None:
        self._http.call("DELETE", self._path)

    def _get_item(self, id: Json, params: dict[str, str]) -> Json:
        doc = self._http.call("GET", self._item(id), params=params)
        if not params:
            self._http.state.remember(self._item(id), doc)
        return doc

    def _get_lookup(self, value: Json, params: dict[str, str]) -> Json:
        doc = self._http.call("GET", self._item(value), params=params)
        if isinstance(doc, dict) and "_id" in doc and not params:
            self._http.state.remember(self._item(doc["_id"]), doc)
        return doc

    def _patch(self, id: Json, changes: Mapping[str, Json], etag: str | None) -> Json:
        path = self._item(id)
        result = self._http.call(
            "PATCH", path, json_body=dict(changes), headers=self._etag(id, etag)
        )
        self._http.state.written(path, result, changes)
        return result

    def _put(self, id: Json, doc: Mapping[str, Json], etag: str | None) -> Json:
        path = self._item(id)
        try:
            headers = self._etag(id, etag)
        except NotFoundError:
            headers = {}  # a PUT to a new id creates the document (upsert)
        result = self._http.call("PUT", path, json_body=dict(doc), headers=headers)
        self._http.state.written(path, result, None)
        return result

    def _delete_item(self, id: Json, etag: str | None) -> None:
        path = self._item(id)
        try:
            headers = self._etag(id, etag)
        except NotFoundError:
            return
        self._http.call("DELETE", path, headers=headers)
        self._http.state.forget(path)

    def _save(self, doc: Mapping[str, Json]) -> Json:
        id = doc["_id"]
        kept = self._http.state.copies.get(self._item(id))
        if kept is None:
            raise ValueError("save() needs a document this client read (get/find)")
        changes = diff(kept, doc)
        if not changes:
            return None
        result = self._patch(id, changes, cast(str, doc.get("_etag")))
        if isinstance(doc, dict) and isinstance(result, dict):
            for key in ("_etag", "_updated"):
                if key in result:
                    doc[key] = result[key]
        return result

    def _import(self, table: Any, options: dict[str, str]) -> Json:
        params, body = _import_body(table, options)
        try:
            return self._http.call("POST", f"{self._path}/import", params=params, **body)
        except ValidationError as error:
            if isinstance(error.body, dict) and "rows" in error.body:
                return error.body
            raise

    def _subscribe(self, params: dict[str, str]) -> Subscription[Any]:
        return Subscription(self._http, f"{self._path}/events", params)


class AsyncCollection:
    """The async operations of one resource (see `Collection`)."""

    def __init__(self, http: AsyncHttp, path: str) -> None:
        self._http = http
        self._path = path

    def _item(self, id: Json) -> str:
        return f"{self._path}/{quote(id)}"

    async def _etag(self, id: Json, etag: str | None) -> dict[str, str]:
        tag = etag or self._http.state.etags.get(self._item(id))
        if tag is None:
            await self._get_item(id, {})
            tag = self._http.state.etags.get(self._item(id))
        return {"If-Match": tag} if tag else {}

    async def _get_collection(self, params: dict[str, str]) -> Page[Any]:
        return _page(await self._http.call("GET", self._path, params=params))

    async def _pages(self, params: dict[str, str]) -> AsyncIterator[Page[Any]]:
        page = await self._get_collection(params)
        while True:
            yield page
            href = page.next_href
            if not href or not page.items:
                return
            page = _page(await self._http.call("GET", self._http.link(href)))

    async def _iterate(self, params: dict[str, str]) -> AsyncIterator[Any]:
        async for page in self._pages(params):
            for item in page.items:
                yield item

    async def _post(self, docs: Json) -> Json:
        if isinstance(docs, list):
            try:
                body = await self._http.call("POST", self._path, json_body=docs)
            except ValidationError as error:
                if error.items:
                    return _bulk(None, error)
                raise
            return _bulk(body, None)
        return await self._http.call("POST", self._path, json_body=docs)

    async def _delete_collection(self) -> None:
        await self._http.call("DELETE", self._path)

    async def _get_item(self, id: Json, params: dict[str, str]) -> Json:
        doc = await self._http.call("GET", self._item(id), params=params)
        if not params:
            self._http.state.remember(self._item(id), doc)
        return doc

    async def _get_lookup(self, value: Json, params: dict[str, str]) -> Json:
        doc = await self._http.call("GET", self._item(value), params=params)
        if isinstance(doc, dict) and "_id" in doc and not params:
            self._http.state.remember(self._item(doc["_id"]), doc)
        return doc

    async def _patch(self, id: Json, changes: Mapping[str, Json], etag: str | None) -> Json:
        path = self._item(id)
        headers = await self._etag(id, etag)
        result = await self._http.call("PATCH", path, json_body=dict(changes), headers=headers)
        self._http.state.written(path, result, changes)
        return result

    async def _put(self, id: Json, doc: Mapping[str, Json], etag: str | None) -> Json:
        path = self._item(id)
        try:
            headers = await self._etag(id, etag)
        except NotFoundError:
            headers = {}
        result = await self._http.call("PUT", path, json_body=dict(doc), headers=headers)
        self._http.state.written(path, result, None)
        return result

    async def _delete_item(self, id: Json, etag: str | None) -> None:
        path = self._item(id)
        try:
            headers = await self._etag(id, etag)
        except NotFoundError:
            return
        await self._http.call("DELETE", path, headers=headers)
        self._http.state.forget(path)

    async def _save(self, doc: Mapping[str, Json]) -> Json:
        id = doc["_id"]
        kept = self._http.state.copies.get(self._item(id))
        if kept is None:
            raise ValueError("save() needs a document this client read (get/find)")
        changes = diff(kept, doc)
        if not changes:
            return None
        result = await self._patch(id, changes, cast(str, doc.get("_etag")))
        if isinstance(doc, dict) and isinstance(result, dict):
            for key in ("_etag", "_updated"):
                if key in result:
                    doc[key] = result[key]
        return result

    async def _import(self, table: Any, options: dict[str, str]) -> Json:
        params, body = _import_body(table, options)
        try:
            return await self._http.call("POST", f"{self._path}/import", params=params, **body)
        except ValidationError as error:
            if isinstance(error.body, dict) and "rows" in error.body:
                return error.body
            raise

    def _subscribe(self, params: dict[str, str]) -> AsyncSubscription[Any]:
        return AsyncSubscription(self._http, f"{self._path}/events", params)


# ---------------------------------------------------------------------------
# Live subscriptions (Server-Sent Events)
# ---------------------------------------------------------------------------


HEARTBEAT_TIMEOUT = 45.0
"""Seconds without a byte (the server sends a heartbeat every 15) before a live
connection is taken for dead and opened again."""


class _SseParser:
    """Reads `text/event-stream` lines into (event, id, data) triples."""

    def __init__(self) -> None:
        self.event = "message"
        self.id: str | None = None
        self.data: list[str] = []

    def feed(self, line: str) -> tuple[str, str | None, str] | None:
        if line == "":
            if not self.data:
                self.event = "message"
                return None
            out = (self.event, self.id, "\n".join(self.data))
            self.event, self.data = "message", []
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "event":
            self.event = value
        elif name == "id":
            self.id = value
        elif name == "data":
            self.data.append(value)
        return None


def _event(kind: str, id: str | None, data: str) -> Event[Any]:
    if kind == "error":
        raise ApiError(0, data)
    try:
        value: Json = json.loads(data)
    except ValueError:
        value = data
    return Event(event=kind, id=id, data=value)


class Subscription(Generic[D]):
    """A live subscription: iterate it for `Event`s. It reconnects by itself when
    the connection drops, sending `Last-Event-ID`, so no event is lost or repeated.
    `close()` (from any thread) ends the iteration."""

    def __init__(
        self, http: Http, path: str, params: dict[str, str], reconnect_delay: float = 0.2
    ) -> None:
        self._http = http
        self._path = path
        self._params = params
        self.last_event_id: str | None = params.pop("since", None)
        self.reconnect_delay = reconnect_delay
        self.reconnects = 0
        self._closed = threading.Event()
        self._response: httpx.Response | None = None
        self.on_reconnect: Callable[[BaseException], None] | None = None
        self.connected = threading.Event()
        """Set once the server has accepted the subscription (each connection)."""

    def close(self) -> None:
        self._closed.set()
        response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - closing from another thread
                pass

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __iter__(self) -> Iterator[Event[D]]:
        while not self._closed.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            request = self._http.client.build_request(
                "GET",
                self._http.url(self._path),
                params=self._params,
                headers={**self._http.headers, **headers},
                timeout=httpx.Timeout(30.0, read=HEARTBEAT_TIMEOUT),
            )
            self._http.sign(request)
            try:
                response = self._http.client.send(request, stream=True)
                self._response = response
                try:
                    if response.status_code >= 400:
                        response.read()
                        raise _error_for(response)
                    self.connected.set()
                    parser = _SseParser()
                    for line in response.iter_lines():
                        got = parser.feed(line)
                        if got is None:
                            continue
                        event = _event(*got)
                        if event.id is not None:
                            self.last_event_id = event.id
                        yield cast(Event[D], event)
                finally:
                    response.close()
            except (httpx.TransportError, httpx.StreamError) as error:
                self.connected.clear()
                if self._closed.is_set():
                    return
                self.reconnects += 1
                if self.on_reconnect is not None:
                    self.on_reconnect(error)
                time.sleep(self.reconnect_delay)
                continue
            if self._closed.is_set():
                return
            self.reconnects += 1
            time.sleep(self.reconnect_delay)


class AsyncSubscription(Generic[D]):
    """A live subscription on the async client: `async for event in sub`."""

    def __init__(
        self, http: AsyncHttp, path: str, params: dict[str, str], reconnect_delay: float = 0.2
    ) -> None:
        self._http = http
        self._path = path
        self._params = params
        self.last_event_id: str | None = params.pop("since", None)
        self.reconnect_delay = reconnect_delay
        self.reconnects = 0
        self._closed = False

    def close(self) -> None:
        self._closed = True

    def __aiter__(self) -> AsyncIterator[Event[D]]:
        return self._events()

    async def _events(self) -> AsyncIterator[Event[D]]:
        while not self._closed:
            headers = {"Accept": "text/event-stream"}
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            request = self._http.client.build_request(
                "GET",
                self._http.url(self._path),
                params=self._params,
                headers={**self._http.headers, **headers},
                timeout=httpx.Timeout(30.0, read=HEARTBEAT_TIMEOUT),
            )
            self._http.sign(request)
            try:
                response = await self._http.client.send(request, stream=True)
                try:
                    if response.status_code >= 400:
                        await response.aread()
                        raise _error_for(response)
                    parser = _SseParser()
                    async for line in response.aiter_lines():
                        got = parser.feed(line)
                        if got is None:
                            continue
                        event = _event(*got)
                        if event.id is not None:
                            self.last_event_id = event.id
                        yield cast(Event[D], event)
                        if self._closed:
                            return
                finally:
                    await response.aclose()
            except (httpx.TransportError, httpx.StreamError):
                if self._closed:
                    return
            self.reconnects += 1
            await asyncio.sleep(self.reconnect_delay)


# ---------------------------------------------------------------------------
# Live subscriptions over a WebSocket (flowthings' `websocket.connect`)
# ---------------------------------------------------------------------------

RECONNECT_DELAY = 0.2
"""Seconds between a dropped WebSocket and the next attempt to open it."""

_WS_SKIP = frozenset(
    {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
)


def _ws_target(http: _Core, path: str) -> tuple[str, dict[str, str]]:
    """The WebSocket URL of `path` (a collection's `events`) and the headers to open
    it with: the client's own and its auth, computed anew for each opening (an HMAC
    or a signed request is signed for this very request)."""
    request = httpx.Request("GET", http.url(path), headers=http.headers)
    http.sign(request)
    url = str(request.url)
    if url.startswith("https://"):
        url = "wss://" + url[len("https://") :]
    elif url.startswith("http://"):
        url = "ws://" + url[len("http://") :]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _WS_SKIP}
    return url, headers


def _ws_refused(error: BaseException) -> ApiError | None:
    """A refused WebSocket opening (401, 403, 404...): the server's error, which
    opening again would not change (a 408, 429 or 5xx is worth another try)."""
    if isinstance(error, websockets.exceptions.InvalidStatus):
        response = error.response
        status = response.status_code
        if status in (408, 429) or status >= 500:
            return None
        try:
            body: Json = json.loads(bytes(response.body or b""))
        except ValueError:
            body = bytes(response.body or b"").decode("utf-8", "replace")
        envelope = body.get("_error") if isinstance(body, dict) else body
        return ApiError(status, envelope, body=body)
    return None


class LiveSubscription:
    """One subscription carried by a live socket's WebSocket. `last_event_id` is
    the id of the last event delivered: after a dropped connection the socket
    subscribes again with `since` = that id, so nothing is lost or repeated.
    `subscribed` is set while the server has accepted it; `error` is the server's
    refusal, if it refused it. A subscription without `since` that has delivered
    nothing yet resumes live only (no event id to resume after): pass `since` (an
    oplog id) to also cover a drop before its first event."""

    def __init__(
        self,
        resource: str,
        id: str,
        request: dict[str, str],
        since: int | str | None,
        callback: Callable[..., Any] | None,
    ) -> None:
        self.resource = resource
        self.id = id
        self.request = request
        self.last_event_id: int | str | None = since
        self.callback = callback
        self.subscribed = threading.Event()
        self.error: ApiError | None = None
        self.accepted = 0
        """How many `subscribed` answers the server sent (one per connection)."""
        self.delivered = 0
        """How many events were delivered."""

    def message(self) -> str:
        """The `subscribe` message, resuming after the last delivered event."""
        message: dict[str, Json] = {"type": "subscribe", "id": self.id, **self.request}
        if self.last_event_id is not None:
            message["since"] = self.last_event_id
        return json.dumps(message)


class _Channel:
    """The WebSocket of one collection (`<collection>/events`): the server serves a
    socket per collection path, and one socket carries every subscription to it."""

    def __init__(self, resource: str, path: str) -> None:
        self.resource = resource
        self.path = path
        self.subs: dict[str, LiveSubscription] = {}
        self.lock = threading.Lock()
        self.connects = 0
        self.started = False


def _ws_error(message: Mapping[str, Json]) -> ApiError:
    envelope = message.get("_error")
    status = envelope.get("code", 0) if isinstance(envelope, dict) else 0
    return ApiError(status if isinstance(status, int) else 0, envelope, body=dict(message))


class _LiveBase:
    """What the sync and async live sockets share: subscriptions and the reading of
    the server's messages."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)
        self._channels: dict[str, _Channel] = {}
        self._next = 0
        self.reconnects = 0
        """How many times a dropped WebSocket was opened again."""
        self.opened = 0
        """How many WebSocket openings the server accepted (101 Switching Protocols)."""

    def _new(
        self,
        resource: str,
        where: Filter | None,
        since: int | str | None,
        projection: Projection | None,
        embedded: Embedded | None,
        callback: Callable[..., Any] | None,
    ) -> tuple[_Channel, LiveSubscription]:
        if resource not in self._paths:
            raise ValueError(f"{resource!r} is not a live resource")
        channel = self._channels.get(resource)
        if channel is None:
            channel = _Channel(resource, f"{self._paths[resource]}/events")
            self._channels[resource] = channel
        self._next += 1
        request = {
            k: v
            for k, v in (
                ("where", _where([] if where is None else [where], None)),
                ("projection", _fields(projection)),
                ("embedded", _fields(embedded)),
            )
            if v is not None
        }
        return channel, LiveSubscription(resource, f"s{self._next}", request, since, callback)

    @staticmethod
    def _read(
        channel: _Channel, text: str | bytes
    ) -> tuple[LiveSubscription | None, Event[Any] | None, ApiError | None]:
        """One server message: the subscription it is about, the event to deliver,
        the error to report."""
        try:
            message = json.loads(text)
        except ValueError:
            return None, None, ApiError(0, f"not a JSON message: {text!r:.200}")
        if not isinstance(message, dict):
            return None, None, ApiError(0, f"not a JSON object: {text!r:.200}")
        kind = message.get("type")
        name = message.get("subscription")
        with channel.lock:
            sub = channel.subs.get(str(name)) if name is not None else None
            if kind == "subscribed" and sub is not None:
                sub.accepted += 1
                sub.subscribed.set()
                return sub, None, None
            if kind == "event" and sub is not None:
                id = message.get("id")
                last = sub.last_event_id
                if isinstance(id, int) and last is not None and id <= int(last):
                    return sub, None, None  # already delivered (never expected)
                sub.last_event_id = id
                sub.delivered += 1
                event = Event(event=str(message.get("event")), id=str(id), data=message.get("data"))
                return sub, event, None
            if kind == "error":
                error = _ws_error(message)
                if sub is not None:
                    # A refused subscription: the server holds nothing for it.
                    channel.subs.pop(sub.id, None)
                    sub.error = error
                    sub.subscribed.set()
                return sub, None, error
        return sub, None, None


class LiveSocket(_LiveBase):
    """flowthings' `websocket.connect(...)`: callbacks for a set of subscriptions,
    over the server's WebSocket protocol (`GET <collection>/events` upgraded). One
    WebSocket per live collection carries all its subscriptions, each in a thread
    of its own; a dropped socket is opened again (auth computed anew) and each
    subscription resumes with `since` = its last delivered event id: nothing lost,
    nothing repeated. `on_open(ws)` runs first (subscribe there),
    `on_message(ws, resource, event)` per event (or the subscription's own
    `callback`), `on_error(ws, error)` for a dropped connection (it reconnects) or
    a refused subscription, `on_close(ws)` at the end."""

    def __init__(
        self,
        http: Http,
        paths: Mapping[str, str],
        on_open: Callable[[LiveSocket], None] | None = None,
        on_message: Callable[[LiveSocket, str, Event[Any]], None] | None = None,
        on_close: Callable[[LiveSocket], None] | None = None,
        on_error: Callable[[LiveSocket, BaseException], None] | None = None,
        reconnect_delay: float = RECONNECT_DELAY,
    ) -> None:
        super().__init__(paths)
        self._http = http
        self.on_open = on_open
        self.on_message = on_message
        self.on_close = on_close
        self.on_error = on_error
        self.reconnect_delay = reconnect_delay
        self._sockets: dict[str, ClientConnection] = {}
        self._threads: list[threading.Thread] = []
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._closing = threading.Lock()
        self._closed = False

    def subscribe(
        self,
        resource: str,
        where: Filter | None = None,
        since: int | str | None = None,
        callback: Callable[[LiveSocket, str, Event[Any]], None] | None = None,
        *,
        projection: Projection | None = None,
        embedded: Embedded | None = None,
    ) -> LiveSubscription:
        """Follow `resource`'s changes matching `where` (after event `since`): its
        events go to `callback`, or to `on_message`."""
        channel, sub = self._new(resource, where, since, projection, embedded, callback)
        with channel.lock:
            channel.subs[sub.id] = sub
            socket = self._sockets.get(resource)
            if socket is not None:
                try:
                    socket.send(sub.message())
                except websockets.exceptions.ConnectionClosed:
                    pass  # sent again when the socket is opened again
            elif not channel.started:
                channel.started = True
                thread = threading.Thread(
                    target=self._follow, args=(channel,), name=f"live:{resource}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return sub

    def unsubscribe(self, sub: LiveSubscription) -> None:
        """End one subscription (the others on its socket go on)."""
        channel = self._channels.get(sub.resource)
        if channel is None:
            return
        with channel.lock:
            if channel.subs.pop(sub.id, None) is None:
                return
            sub.subscribed.clear()
            socket = self._sockets.get(sub.resource)
            if socket is not None:
                try:
                    socket.send(json.dumps({"type": "unsubscribe", "id": sub.id}))
                except websockets.exceptions.ConnectionClosed:
                    pass

    def _report(self, error: BaseException) -> None:
        if self.on_error is not None and not self._done.is_set():
            self.on_error(self, error)

    def _follow(self, channel: _Channel) -> None:
        while not self._done.is_set():
            try:
                url, headers = _ws_target(self._http, channel.path)
                socket = _ws_connect(url, additional_headers=headers, open_timeout=30.0)
            except Exception as error:  # noqa: BLE001 - reported, then tried again
                refused = _ws_refused(error)
                self._report(refused or error)
                if refused is not None:
                    with channel.lock:
                        for sub in channel.subs.values():
                            sub.error = refused
                            sub.subscribed.set()
                        channel.subs.clear()
                    return
                self._done.wait(self.reconnect_delay)
                continue
            # `with`: the connection is closed however this ends.
            with socket:
                with channel.lock:
                    if self._done.is_set():
                        return
                    channel.connects += 1
                    self.opened += 1
                    self._sockets[channel.resource] = socket
                    try:
                        for sub in list(channel.subs.values()):
                            socket.send(sub.message())
                    except websockets.exceptions.ConnectionClosed:
                        pass
                why: BaseException | None = None
                try:
                    for text in socket:
                        about, event, problem = self._read(channel, text)
                        with self._lock:
                            if problem is not None:
                                self._report(problem)
                            if event is not None and about is not None:
                                callback = about.callback or self.on_message
                                if callback is not None and not self._done.is_set():
                                    try:
                                        callback(self, channel.resource, event)
                                    except Exception as error:  # noqa: BLE001 - reported
                                        self._report(error)
                except websockets.exceptions.ConnectionClosed as error:
                    why = error
                finally:
                    with channel.lock:
                        self._sockets.pop(channel.resource, None)
                        for sub in channel.subs.values():
                            sub.subscribed.clear()
            if self._done.is_set():
                return
            self.reconnects += 1
            self._report(
                ConnectionError(f"the live WebSocket of {channel.resource!r} closed: {why}")
            )
            self._done.wait(self.reconnect_delay)

    def run(self, timeout: float | None = None) -> None:
        """Call `on_open`, then wait until `close()` (or `timeout` seconds)."""
        if self.on_open is not None:
            self.on_open(self)
        self._done.wait(timeout)
        self.close()

    def close(self) -> None:
        """End every subscription and socket, then call `on_close` (once)."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._done.set()
            for channel in self._channels.values():
                with channel.lock:
                    socket = self._sockets.pop(channel.resource, None)
                if socket is not None:
                    socket.close()
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join(timeout=5)
            self._threads = []
            if self.on_close is not None:
                self.on_close(self)


class Live:
    """`client.websocket`: `connect(on_open=..., on_message=..., on_close=...,
    on_error=...)` gives a `LiveSocket` (flowthings' `api.websocket.connect`)."""

    def __init__(self, http: Http, paths: Mapping[str, str]) -> None:
        self._http = http
        self._paths = paths

    def connect(
        self,
        on_open: Callable[[LiveSocket], None] | None = None,
        on_message: Callable[[LiveSocket, str, Event[Any]], None] | None = None,
        on_close: Callable[[LiveSocket], None] | None = None,
        on_error: Callable[[LiveSocket, BaseException], None] | None = None,
    ) -> LiveSocket:
        return LiveSocket(self._http, self._paths, on_open, on_message, on_close, on_error)


class AsyncLiveSocket(_LiveBase):
    """`LiveSocket` on the async client: the same protocol, one asyncio task per
    live collection's WebSocket. Callbacks may be plain functions or coroutines;
    `await ws.run()`, `await ws.close()`."""

    def __init__(
        self,
        http: AsyncHttp,
        paths: Mapping[str, str],
        on_open: Callable[[AsyncLiveSocket], Any] | None = None,
        on_message: Callable[[AsyncLiveSocket, str, Event[Any]], Any] | None = None,
        on_close: Callable[[AsyncLiveSocket], Any] | None = None,
        on_error: Callable[[AsyncLiveSocket, BaseException], Any] | None = None,
        reconnect_delay: float = RECONNECT_DELAY,
    ) -> None:
        super().__init__(paths)
        self._http = http
        self.on_open = on_open
        self.on_message = on_message
        self.on_close = on_close
        self.on_error = on_error
        self.reconnect_delay = reconnect_delay
        self._sockets: dict[str, AsyncClientConnection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._done = asyncio.Event()
        self._closed = False

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def subscribe(
        self,
        resource: str,
        where: Filter | None = None,
        since: int | str | None = None,
        callback: Callable[[AsyncLiveSocket, str, Event[Any]], Any] | None = None,
        *,
        projection: Projection | None = None,
        embedded: Embedded | None = None,
    ) -> LiveSubscription:
        """Follow `resource`'s changes matching `where` (after event `since`): its
        events go to `callback`, or to `on_message`. Call it in the event loop."""
        channel, sub = self._new(resource, where, since, projection, embedded, callback)
        channel.subs[sub.id] = sub
        socket = self._sockets.get(resource)
        if socket is not None:
            self._spawn(self._send(socket, sub.message()))
        elif not channel.started:
            channel.started = True
            self._spawn(self._follow(channel))
        return sub

    def unsubscribe(self, sub: LiveSubscription) -> None:
        """End one subscription (the others on its socket go on)."""
        channel = self._channels.get(sub.resource)
        if channel is None or channel.subs.pop(sub.id, None) is None:
            return
        sub.subscribed.clear()
        socket = self._sockets.get(sub.resource)
        if socket is not None:
            self._spawn(self._send(socket, json.dumps({"type": "unsubscribe", "id": sub.id})))

    @staticmethod
    async def _send(socket: AsyncClientConnection, text: str) -> None:
        try:
            await socket.send(text)
        except websockets.exceptions.ConnectionClosed:
            pass  # sent again when the socket is opened again

    async def _call(self, callback: Callable[..., Any] | None, *args: Any) -> None:
        if callback is None:
            return
        result = callback(self, *args)
        if isinstance(result, Awaitable):
            await result

    async def _report(self, error: BaseException) -> None:
        if not self._done.is_set():
            await self._call(self.on_error, error)

    async def _follow(self, channel: _Channel) -> None:
        while not self._done.is_set():
            try:
                url, headers = _ws_target(self._http, channel.path)
                socket = await _ws_aconnect(url, additional_headers=headers, open_timeout=30.0)
            except Exception as error:  # noqa: BLE001 - reported, then tried again
                refused = _ws_refused(error)
                await self._report(refused or error)
                if refused is not None:
                    for sub in channel.subs.values():
                        sub.error = refused
                        sub.subscribed.set()
                    channel.subs.clear()
                    return
                await asyncio.sleep(self.reconnect_delay)
                continue
            if self._done.is_set():
                await socket.close()
                return
            channel.connects += 1
            self.opened += 1
            self._sockets[channel.resource] = socket
            why: BaseException | None = None
            try:
                for sub in list(channel.subs.values()):
                    await socket.send(sub.message())
                async for text in socket:
                    about, event, problem = self._read(channel, text)
                    if problem is not None:
                        await self._report(problem)
                    if event is not None and about is not None and not self._done.is_set():
                        try:
                            await self._call(
                                about.callback or self.on_message, channel.resource, event
                            )
                        except Exception as error:  # noqa: BLE001 - a callback's: reported
                            await self._report(error)
            except websockets.exceptions.ConnectionClosed as error:
                why = error
            finally:
                self._sockets.pop(channel.resource, None)
                for sub in channel.subs.values():
                    sub.subscribed.clear()
                await socket.close()
            if self._done.is_set():
                return
            self.reconnects += 1
            await self._report(
                ConnectionError(f"the live WebSocket of {channel.resource!r} closed: {why}")
            )
            await asyncio.sleep(self.reconnect_delay)

    async def run(self, timeout: float | None = None) -> None:
        """Call `on_open`, then wait until `close()` (or `timeout` seconds)."""
        await self._call(self.on_open)
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        await self.close()

    async def close(self) -> None:
        """End every subscription and socket, then call `on_close` (once)."""
        if self._closed:
            return
        self._closed = True
        self._done.set()
        for socket in list(self._sockets.values()):
            await socket.close()
        self._sockets = {}
        current = asyncio.current_task()
        waiting = [task for task in self._tasks if task is not current]
        if waiting:
            await asyncio.wait(waiting, timeout=5)
        await self._call(self.on_close)


class AsyncLive:
    """`client.websocket` on the async client: `connect(...)` gives an
    `AsyncLiveSocket`."""

    def __init__(self, http: AsyncHttp, paths: Mapping[str, str]) -> None:
        self._http = http
        self._paths = paths

    def connect(
        self,
        on_open: Callable[[AsyncLiveSocket], Any] | None = None,
        on_message: Callable[[AsyncLiveSocket, str, Event[Any]], Any] | None = None,
        on_close: Callable[[AsyncLiveSocket], Any] | None = None,
        on_error: Callable[[AsyncLiveSocket, BaseException], Any] | None = None,
    ) -> AsyncLiveSocket:
        return AsyncLiveSocket(self._http, self._paths, on_open, on_message, on_close, on_error)


# ---------------------------------------------------------------------------
# Batches and lazy requests
# ---------------------------------------------------------------------------


class Deferred(Generic[R]):
    """A request queued in a batch or started lazily: `unwrap()` waits for it."""

    def __init__(self, future: Future[R]) -> None:
        self._future = future

    def unwrap(self) -> R:
        return self._future.result()

    def done(self) -> bool:
        return self._future.done()


class Batch:
    """flowthings' `api.async()`: queue calls with `add(client.books.get, id)`, then
    `results()` runs them (`concurrency` at a time) and gives each result in order;
    `results(with_exceptions=True)` gives `(error, result)` pairs instead of raising
    the first error."""

    def __init__(self, concurrency: int = 8) -> None:
        self.concurrency = concurrency
        self._calls: list[Callable[[], Any]] = []

    def add(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> int:
        self._calls.append(lambda: fn(*args, **kwargs))
        return len(self._calls) - 1

    def results(self, with_exceptions: bool = False) -> list[Any]:
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            futures = [pool.submit(call) for call in self._calls]
        self._calls = []
        out: list[Any] = []
        for future in futures:
            error = future.exception()
            if with_exceptions:
                out.append((error, None if error is not None else future.result()))
            elif error is not None:
                raise error
            else:
                out.append(future.result())
        return out


class AsyncBatch:
    """The async client's batch: `add(client.books.get, id)`, then
    `await results(with_exceptions=...)`; at most `concurrency` run at once."""

    def __init__(self, concurrency: int = 8) -> None:
        self.concurrency = concurrency
        self._calls: list[Callable[[], Awaitable[Any]]] = []

    def add(self, fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> int:
        self._calls.append(lambda: fn(*args, **kwargs))
        return len(self._calls) - 1

    async def results(self, with_exceptions: bool = False) -> list[Any]:
        gate = asyncio.Semaphore(max(1, self.concurrency))

        async def run(call: Callable[[], Awaitable[Any]]) -> Any:
            async with gate:
                return await call()

        calls, self._calls = self._calls, []
        done = await asyncio.gather(*(run(c) for c in calls), return_exceptions=True)
        out: list[Any] = []
        for value in done:
            if with_exceptions:
                if isinstance(value, BaseException):
                    out.append((value, None))
                else:
                    out.append((None, value))
            elif isinstance(value, BaseException):
                raise value
            else:
                out.append(value)
        return out


class Lazy:
    """flowthings' `api.lazy()`: `lazy(client.books.find, ...)` starts the request at
    once on a pool of `concurrency` threads and returns a `Deferred`; reading it
    (`unwrap()`) waits. Dependent requests wait only for what they read."""

    def __init__(self, concurrency: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency))

    def __call__(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Deferred[R]:
        return Deferred(self._pool.submit(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def __enter__(self) -> Lazy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncLazy:
    """The async client's lazy requests: each `lazy(fn, ...)` is a task started at
    once, at most `concurrency` running (a semaphore); `await` it to read it."""

    def __init__(self, concurrency: int = 4) -> None:
        self._gate = asyncio.Semaphore(max(1, concurrency))

    def __call__(
        self, fn: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> asyncio.Task[R]:
        async def run() -> R:
            async with self._gate:
                return await fn(*args, **kwargs)

        return asyncio.ensure_future(run())
