// The client's runtime: what no spec changes (HTTP on the platform's `fetch`, Eve's
// errors, ETags, pagination, the filter builder, retries, batches, live streams and
// imports). `index.ts` holds what the spec decides and builds on this file. No
// dependencies: only `fetch`, `AbortController`, `ReadableStream`, `TextEncoder`,
// `TextDecoder` and WebCrypto (`crypto.subtle`).

/** Any JSON value. Integers beyond 2^53 lose precision in `JSON.parse` (see README). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------------
// Errors

/** Eve's `_error`: the HTTP status again and a message. */
export interface EveError {
  code: number;
  message: string;
}

/** What kind of failure an `ApiError` is, for a `switch`. */
export type ErrorKind = "conflict" | "rate_limited" | "invalid" | "not_found" | "unauthorized" | "http";

/**
 * The one error the client throws for an answer that is not a success: the HTTP
 * status, Eve's `_error` and `_issues` (field → message(s)), and the body.
 * `ConflictError` (412) and `RateLimitError` (429) are its subclasses.
 */
export class ApiError extends Error {
  readonly status: number;
  /** Eve's `_error` (`{code, message}`), or undefined when the body had none. */
  readonly error: EveError | undefined;
  /** Eve's `_issues`: each field (or row, for imports) with what is wrong with it. */
  readonly issues: Record<string, Json>;
  /** The decoded body (JSON when it was JSON, else the text). */
  readonly body: unknown;
  readonly method: string;
  readonly url: string;
  readonly kind: ErrorKind;

  constructor(status: number, body: unknown, method: string, url: string, kind?: ErrorKind) {
    const envelope = isObject(body) ? body : {};
    const raw = envelope["_error"];
    const error = isObject(raw)
      ? { code: Number(raw["code"] ?? status), message: String(raw["message"] ?? "") }
      : typeof raw === "string"
        ? { code: status, message: raw }
        : undefined;
    const issues = isObject(envelope["_issues"]) ? ` ${JSON.stringify(envelope["_issues"])}` : "";
    super(`${method} ${url}: ${status}${error ? ` ${error.message}` : ""}${issues}`);
    this.name = new.target.name;
    this.status = status;
    this.error = error;
    this.issues = isObject(envelope["_issues"]) ? (envelope["_issues"] as Record<string, Json>) : {};
    this.body = body;
    this.method = method;
    this.url = url;
    this.kind =
      kind ??
      (status === 412
        ? "conflict"
        : status === 429
          ? "rate_limited"
          : status === 422 || status === 400
            ? "invalid"
            : status === 404
              ? "not_found"
              : status === 401 || status === 403
                ? "unauthorized"
                : "http");
  }
}

/** 412: the document changed since its ETag was read. Refetch it and try again. */
export class ConflictError extends ApiError {}

/** 429: a quota or rate limit; `retryAfter` is the server's `Retry-After`, seconds. */
export class RateLimitError extends ApiError {
  readonly retryAfter: number;
  constructor(status: number, body: unknown, method: string, url: string, retryAfter: number) {
    super(status, body, method, url, "rate_limited");
    this.retryAfter = retryAfter;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------
// Credentials

/** HTTP Basic with a user of the server's users table. */
export interface BasicAuth {
  scheme: "basic";
  user: string;
  password: string;
}
/** A token from `<api> tokens create`, sent as `Bearer <token>`. */
export interface TokenAuth {
  scheme: "token";
  token: string;
}
/** A JWT from one of the API's issuers, sent as `Bearer <jwt>`. */
export interface JwtAuth {
  scheme: "jwt";
  token: string;
}
/** Eve's HMAC: each request signed with the user's secret (`<api> users secret`). */
export interface HmacAuth {
  scheme: "hmac";
  user: string;
  secret: string;
}
/** The dataset API's signed request: `visitor`, `stamp`, `type` and `token` in the query. */
export interface SignedAuth {
  scheme: "signed";
  visitor: string;
  key: string;
  type: string;
}
/** The service's own check (`custom`): headers the service's `check_auth` reads. */
export interface CustomAuth {
  scheme: "custom";
  headers: Record<string, string>;
}
export type Credentials = BasicAuth | TokenAuth | JwtAuth | HmacAuth | SignedAuth | CustomAuth;

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", data as BufferSource));
}

/** Hex HMAC-SHA256 of `message` keyed with `secret`. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** Hex SHA-1 of `text`'s UTF-8 bytes (the `signed` scheme's token). */
export async function sha1Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-1", encoder.encode(text)));
}

// ---------------------------------------------------------------------------------
// The transport

/** Opt-in retries of 429 (and 503) answers, with exponential back-off. */
export interface RetryPolicy {
  /** How many times a request is sent again at most (default 3). */
  retries?: number;
  /** First back-off, doubled each time, when the server sends no `Retry-After` (ms, default 200). */
  baseDelayMs?: number;
  /** Longest wait between two tries (ms, default 30000). */
  maxDelayMs?: number;
  /** The statuses retried (default 429 and 503). */
  statuses?: number[];
}

export interface ClientOptions<C extends Credentials = Credentials> {
  /** The server's origin, e.g. `http://localhost:8080` (the API's prefix is added). */
  baseUrl: string;
  /** The credentials sent with every request (any scheme the API declares). */
  auth?: C;
  /** An API key, sent as `x-api-key`. */
  apiKey?: string;
  /** Retry 429 and 503 answers (`true`: the defaults). Off by default. */
  retry?: boolean | RetryPolicy;
  /** Another `fetch` (tests, proxies). */
  fetch?: typeof fetch;
  /** Headers added to every request. */
  headers?: Record<string, string>;
}

/** A request body: JSON, or bytes/text/form with their content type. */
export type Body = { json: unknown } | { raw: string | Uint8Array | Blob | FormData; contentType?: string };

export interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below the server's root, starting with `/` (`/api/v1/books`). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: Body;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Answer statuses that are not errors besides 2xx (e.g. 422 for an import's report). */
  accept?: number[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Sends requests: URL, auth, JSON, Eve's errors, retries. One per client. */
export class Transport {
  readonly baseUrl: string;
  readonly prefix: string;
  private readonly options: ClientOptions;
  private readonly fetcher: typeof fetch;
  private readonly retry: Required<RetryPolicy> | undefined;
  /** HMAC signatures sent within the current second (the server refuses a replay). */
  private signedThisSecond = new Set<string>();
  private signedSecond = "";

  constructor(options: ClientOptions, prefix: string) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.prefix = prefix;
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    const retry = options.retry === true ? {} : options.retry || undefined;
    this.retry = retry && {
      retries: retry.retries ?? 3,
      baseDelayMs: retry.baseDelayMs ?? 200,
      maxDelayMs: retry.maxDelayMs ?? 30_000,
      statuses: retry.statuses ?? [429, 503],
    };
  }

  /** The URL of `path` (below the root) with `query`. */
  url(path: string, query?: Call["query"]): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) search.append(key, String(value));
    }
    const text = search.toString();
    return `${this.baseUrl}${path}${text ? `${path.includes("?") ? "&" : "?"}${text}` : ""}`;
  }

  /** Sends `call` (retrying when asked) and answers the response of a success. */
  async send(call: Call): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.once(call);
      if (response.ok || call.accept?.includes(response.status)) return response;
      const error = await this.error(call, response);
      const retry = this.retry;
      if (retry && attempt < retry.retries && retry.statuses.includes(response.status)) {
        const after = error instanceof RateLimitError ? error.retryAfter * 1000 : 0;
        const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
        await sleep(Math.min(retry.maxDelayMs, Math.max(after, backoff)) + Math.random() * 50, call.signal);
        continue;
      }
      throw error;
    }
  }

  /** Sends `call` and decodes its JSON answer (undefined for 204). */
  async json<T>(call: Call): Promise<T> {
    const response = await this.send(call);
    return (await decode(response)) as T;
  }

  /** The `ApiError` (or subclass) an unsuccessful `response` stands for. */
  async error(call: Call, response: Response): Promise<ApiError> {
    const body = await decode(response).catch(() => undefined);
    const url = response.url || call.path;
    if (response.status === 412) return new ConflictError(412, body, call.method, url);
    if (response.status === 429) {
      const header = response.headers.get("retry-after");
      let seconds = Number(header);
      if (header && Number.isNaN(seconds)) seconds = Math.max(0, (Date.parse(header) - Date.now()) / 1000);
      return new RateLimitError(429, body, call.method, url, Number.isFinite(seconds) ? seconds : 1);
    }
    return new ApiError(response.status, body, call.method, url);
  }

  private async once(call: Call): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", ...this.options.headers, ...call.headers };
    const query = { ...call.query };
    let body: BodyInit | undefined;
    let bytes: Uint8Array | undefined;
    if (call.body && "json" in call.body) {
      const text = JSON.stringify(call.body.json);
      bytes = encoder.encode(text);
      body = text;
      headers["Content-Type"] = "application/json";
    } else if (call.body) {
      body = call.body.raw as BodyInit;
      if (call.body.contentType) headers["Content-Type"] = call.body.contentType;
    }
    if (this.options.apiKey !== undefined) headers["x-api-key"] = this.options.apiKey;
    const auth = this.options.auth;
    if (auth?.scheme === "signed") {
      const stamp = String(Date.now());
      query["visitor"] = auth.visitor;
      query["stamp"] = stamp;
      query["type"] = auth.type;
      query["token"] = await sha1Hex(auth.key + stamp + auth.visitor + auth.type);
    }
    const url = this.url(call.path, query);
    switch (auth?.scheme) {
      case "basic":
        headers["Authorization"] = `Basic ${base64(`${auth.user}:${auth.password}`)}`;
        break;
      case "token":
      case "jwt":
        headers["Authorization"] = `Bearer ${auth.token}`;
        break;
      case "custom":
        Object.assign(headers, auth.headers);
        break;
      case "hmac": {
        if (bytes === undefined && body !== undefined) {
          // Bytes as fetch will send them (a form's boundary included).
          const request = new Request(url, { method: call.method, body, headers });
          bytes = new Uint8Array(await request.arrayBuffer());
          const type = request.headers.get("content-type");
          if (type) headers["Content-Type"] = type;
          body = bytes as BodyInit;
        }
        const target = url.slice(this.baseUrl.length) || "/";
        const digest = await sha256Hex(bytes ?? new Uint8Array());
        let timestamp = String(Math.floor(Date.now() / 1000));
        // The server accepts a signature once: the same request within one second
        // waits for the next one.
        for (;;) {
          if (timestamp !== this.signedSecond) {
            this.signedSecond = timestamp;
            this.signedThisSecond.clear();
          }
          const message = `${call.method}\n${target}\n${timestamp}\n${digest}`;
          if (!this.signedThisSecond.has(message)) {
            this.signedThisSecond.add(message);
            headers["X-Timestamp"] = timestamp;
            headers["Authorization"] = `${auth.user}:${await hmacSha256Hex(auth.secret, message)}`;
            break;
          }
          await sleep(1000 - (Date.now() % 1000) + 1, call.signal);
          timestamp = String(Math.floor(Date.now() / 1000));
        }
        break;
      }
    }
    return this.fetcher(url, { method: call.method, headers, body, signal: call.signal });
  }
}

async function decode(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (text === "") return undefined;
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("json")) return JSON.parse(text);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Replaces each `{name}` of `template` by its (percent-encoded) value. */
export function fillPath(template: string, params: object): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = (params as Record<string, unknown>)[name];
    if (value === undefined) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

// ---------------------------------------------------------------------------------
// Filters, sort, projection, embedding

/** Eve's `where` as JSON (MongoDB's operators). */
export type Where = { [field: string]: Json };

/** A condition on documents; combine with `and`/`or`, send as `where`. */
export class Filter {
  constructor(readonly where: Where) {}
  /** Both this and every other filter. */
  and(...others: Filter[]): Filter {
    return and(this, ...others);
  }
  /** This or any other filter. */
  or(...others: Filter[]): Filter {
    return or(this, ...others);
  }
  /** None of this and the others (`$nor`). */
  not(): Filter {
    return new Filter({ $nor: [this.where] });
  }
  toJSON(): Where {
    return this.where;
  }
}

/** Every filter (`$and`). */
export function and(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new Filter({ $and: filters.map((f) => f.where) });
}

/** Any filter (`$or`). */
export function or(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new Filter({ $or: filters.map((f) => f.where) });
}

/** One sort key: `title` or `-title`. */
export class SortKey<F extends string = string> {
  constructor(
    readonly field: F,
    readonly descending: boolean,
  ) {}
  toString(): string {
    return this.descending ? `-${this.field}` : this.field;
  }
}

/** A field of documents, typed by the values it holds: `gt` takes a `T`. */
export class Field<T, F extends string = string> {
  constructor(readonly name: F) {}
  private op(op: string, value: Json): Filter {
    return new Filter({ [this.name]: { [op]: value } });
  }
  eq(value: T): Filter {
    return new Filter({ [this.name]: value as Json });
  }
  ne(value: T): Filter {
    return this.op("$ne", value as Json);
  }
  gt(value: T): Filter {
    return this.op("$gt", value as Json);
  }
  gte(value: T): Filter {
    return this.op("$gte", value as Json);
  }
  lt(value: T): Filter {
    return this.op("$lt", value as Json);
  }
  lte(value: T): Filter {
    return this.op("$lte", value as Json);
  }
  in(values: readonly T[]): Filter {
    return this.op("$in", values as unknown as Json);
  }
  nin(values: readonly T[]): Filter {
    return this.op("$nin", values as unknown as Json);
  }
  exists(present = true): Filter {
    return this.op("$exists", present);
  }
  asc(): SortKey<F> {
    return new SortKey(this.name, false);
  }
  desc(): SortKey<F> {
    return new SortKey(this.name, true);
  }
}

/** A text field: also `re`. */
export class StringField<F extends string = string> extends Field<string, F> {
  /** Matches `pattern` (Rust regex syntax; `flags` among `i`, `m`, `s`, `x`). */
  re(pattern: string | RegExp, flags?: string): Filter {
    const source = typeof pattern === "string" ? pattern : pattern.source;
    const options = flags ?? (typeof pattern === "string" ? "" : pattern.flags.replace(/[^imsx]/g, ""));
    return new Filter({ [this.name]: options ? { $regex: source, $options: options } : { $regex: source } });
  }
}

/** A list field: `eq` matches a list holding the item, `in` any of the items. */
export class ListField<T, F extends string = string> extends Field<T, F> {}

/** What a collection read takes besides the filter. */
export interface ReadOptions<F extends string = string, E extends string = string> {
  /** Fields kept (`{title: 1}`) or left out (`{cost: 0}`); an array keeps the fields named. */
  projection?: readonly F[] | Partial<Record<F, 0 | 1>>;
  /** References replaced by the documents they name. */
  embedded?: readonly E[] | Partial<Record<E, 0 | 1>>;
  signal?: AbortSignal;
}

export interface ListQuery<F extends string = string, E extends string = string> extends ReadOptions<F, E> {
  where?: Filter | Where;
  sort?: readonly SortKey<F>[] | SortKey<F>;
  /** Page size (the server cuts it to its `pagination_limit`). */
  maxResults?: number;
  page?: number;
  /** Soft-deleted documents too. */
  showDeleted?: boolean;
}

/** The query string of a read. */
export function readQuery(query: ListQuery<string, string> | undefined): Record<string, string | undefined> {
  if (!query) return {};
  const out: Record<string, string | undefined> = {};
  if (query.where !== undefined) {
    out["where"] = JSON.stringify(query.where instanceof Filter ? query.where.where : query.where);
  }
  if (query.sort !== undefined) {
    const keys = Array.isArray(query.sort) ? query.sort : [query.sort as SortKey];
    out["sort"] = keys.map(String).join(",");
  }
  const flags = (value: readonly string[] | Record<string, 0 | 1 | undefined> | undefined) =>
    value === undefined
      ? undefined
      : JSON.stringify(Array.isArray(value) ? Object.fromEntries(value.map((name) => [name, 1])) : value);
  out["projection"] = flags(query.projection as readonly string[] | undefined);
  out["embedded"] = flags(query.embedded as readonly string[] | undefined);
  if (query.maxResults !== undefined) out["max_results"] = String(query.maxResults);
  if (query.page !== undefined) out["page"] = String(query.page);
  if (query.showDeleted) out["show_deleted"] = "";
  return out;
}

// ---------------------------------------------------------------------------------
// Documents, pages, writes

/** What every document served has. */
export interface SystemFields<Id> {
  _id: Id;
  /** In the API's date format (RFC 1123 by default), as served. */
  _created: string;
  _updated: string;
  _etag: string;
}

/** What names a stored document for a write: a document read, or a write's result. */
export interface Ref<Id> {
  _id: Id;
  /** Sent as `If-Match`; when absent, the ETag last seen of `_id` (or read first). */
  _etag?: string;
}

/** A link of `_links`. */
export interface Link {
  href: string;
  title?: string;
}

/** `_meta` of a page. */
export interface PageMeta {
  page: number;
  max_results: number;
  total: number;
}

/** One page of a collection, and the way to its neighbours. */
export class Page<T> {
  constructor(
    readonly items: T[],
    readonly meta: PageMeta | undefined,
    readonly links: Record<string, Link | undefined>,
    private readonly follow: (href: string) => Promise<Page<T>>,
  ) {}
  get hasNext(): boolean {
    return this.links["next"] !== undefined;
  }
  get hasPrev(): boolean {
    return this.links["prev"] !== undefined;
  }
  /** The next page (its `_links.next`), or undefined on the last one. */
  async next(): Promise<Page<T> | undefined> {
    const link = this.links["next"];
    return link && this.follow(link.href);
  }
  /** The previous page (its `_links.prev`), or undefined on the first one. */
  async prev(): Promise<Page<T> | undefined> {
    const link = this.links["prev"];
    return link && this.follow(link.href);
  }
}

/** What a POST, PATCH or PUT answers: the document's new `_id`, `_etag`, dates. */
export interface WriteResult<Id> extends SystemFields<Id> {
  _status: "OK";
  _links?: Record<string, unknown>;
  [member: string]: unknown;
}

/**
 * One item of a bulk create: written, or not. Eve writes all or none: when any item is
 * refused (`refused: true`, with its `issues`), the valid ones are not written either
 * (`refused: false`, no issues).
 */
export type BulkItem<Id> =
  | { ok: true; result: WriteResult<Id> }
  | { ok: false; refused: boolean; issues: Record<string, Json> };

/** The live events of a subscription. */
export type Event<T, Id> =
  | { type: "insert"; id: string; data: T }
  | { type: "update"; id: string; data: T }
  | { type: "delete"; id: string; data: { _id: Id } };

/** An import's report: rows read, inserted, updated, rejected (with their issues by column). */
export interface ImportReport {
  rows: number;
  inserted: number;
  updated: number;
  rejected: number;
  replaced: number;
  _rejected: { row: number; _issues: Record<string, Json> }[];
  /** Whether the import wrote its rows (false: all-or-nothing and some row was rejected). */
  ok: boolean;
}

/** The table an import takes. */
export type ImportTable =
  | { rows: readonly (readonly Json[])[] }
  | { csv: string }
  | { file: Blob; filename?: string };

export interface ImportOptions {
  mode?: "insert" | "upsert" | "replace";
  upsertOn?: string;
  onError?: "abort" | "skip";
  signal?: AbortSignal;
}

/** The fields of `changed` that differ from `original` (deep comparison), for a PATCH. */
export function diff(original: Record<string, unknown>, changed: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changed)) {
    if (key.startsWith("_")) continue;
    if (!deepEqual(original[key], value)) out[key] = value === undefined ? null : value;
  }
  for (const key of Object.keys(original)) {
    if (!key.startsWith("_") && !(key in changed)) out[key] = null;
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * A copy of a document to change in place (flowthings' `M`): `save()` PATCHes only
 * what differs from the document as read, with its ETag, and the copy then stands
 * for the new version.
 */
export class Tracked<T extends Ref<Id>, Id extends string | number> {
  private original: T;
  /** The copy to change. */
  value: T;
  constructor(
    document: T,
    private readonly collection: Collection<T, Id>,
  ) {
    this.original = structuredClone(document);
    this.value = structuredClone(document);
  }
  /** The fields changed since the document was read (or last saved). */
  changes(): Record<string, unknown> {
    return diff(this.original as Record<string, unknown>, this.value as Record<string, unknown>);
  }
  /** PATCHes the changes (nothing when there are none); a 412 is a `ConflictError`. */
  async save(signal?: AbortSignal): Promise<WriteResult<Id> | undefined> {
    const changes = this.changes();
    if (Object.keys(changes).length === 0) return undefined;
    const result = await this.collection.write("PATCH", this.original, changes, signal);
    this.value = { ...this.value, _etag: result._etag };
    this.original = structuredClone(this.value);
    return result;
  }
}

/**
 * The mechanics of one resource (its collection's path below the root), which the
 * generated resource class calls: one method per operation there.
 */
export class Collection<T, Id extends string | number> {
  /** The ETag last seen of each document read or written through this client. */
  readonly etags = new Map<Id, string>();

  constructor(
    readonly transport: Transport,
    readonly path: string,
    /** Multipart fields are read as JSON (`multipart_form_fields_as_json`). */
    readonly formFieldsAsJson = false,
  ) {}

  /**
   * A write's body: JSON, or, when the document holds files (media fields), a
   * multipart form with a part per file and the other fields as text (as JSON text
   * where the resource reads form fields as JSON).
   */
  bodyOf(doc: unknown): Body {
    const files = (value: unknown) =>
      value instanceof Blob || (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Blob));
    if (!isObject(doc) || !Object.values(doc).some(files)) return { json: doc };
    const form = new FormData();
    for (const [key, value] of Object.entries(doc)) {
      if (value === undefined) continue;
      if (files(value)) {
        for (const file of Array.isArray(value) ? (value as Blob[]) : [value as Blob]) {
          form.append(key, file, file instanceof File ? file.name : key);
        }
      } else if (typeof value === "string" && !this.formFieldsAsJson) {
        form.append(key, value);
      } else {
        form.append(key, JSON.stringify(value));
      }
    }
    return { raw: form };
  }

  private remember(value: unknown): void {
    if (isObject(value) && value["_id"] !== undefined && typeof value["_etag"] === "string") {
      this.etags.set(value["_id"] as Id, value["_etag"]);
    }
  }

  itemPath(id: Id): string {
    return `${this.path}/${encodeURIComponent(String(id))}`;
  }

  async page(query: ListQuery<string, string> | undefined): Promise<Page<T>> {
    return this.pageAt(this.transport.url(this.path, readQuery(query)), query?.signal);
  }

  /** The page the query string `query` selects. */
  async pageWith(query: Record<string, string | undefined>, signal?: AbortSignal): Promise<Page<T>> {
    return this.pageAt(this.transport.url(this.path, query), signal);
  }

  private async pageAt(url: string, signal?: AbortSignal): Promise<Page<T>> {
    const path = url.slice(this.transport.baseUrl.length);
    const body = await this.transport.json<Record<string, unknown>>({ method: "GET", path, signal });
    const items = (Array.isArray(body) ? body : ((body["_items"] as T[]) ?? [])) as T[];
    items.forEach((item) => this.remember(item));
    const meta = body["_meta"] as PageMeta | undefined;
    let links = (isObject(body) && isObject(body["_links"]) ? body["_links"] : undefined) as
      | Record<string, Link>
      | undefined;
    if (!links) {
      // Without HATEOAS there are no links: the neighbours are the same URL with
      // another `page`.
      links = {};
      if (meta) {
        const at = (page: number) => {
          const next = new URL(url);
          next.searchParams.set("page", String(page));
          return { href: next.toString() };
        };
        if (meta.page * meta.max_results < meta.total) links["next"] = at(meta.page + 1);
        if (meta.page > 1) links["prev"] = at(meta.page - 1);
      }
    }
    return new Page(items, meta, links, (href) => this.pageAt(this.resolve(href), signal));
  }

  /** A `_links` href (relative to the API's prefix, as Eve writes them) as a URL. */
  private resolve(href: string): string {
    if (/^https?:\/\//.test(href)) return href;
    if (href.startsWith("/")) return `${this.transport.baseUrl}${href}`;
    return `${this.transport.baseUrl}${this.transport.prefix}/${href}`;
  }

  async *pages(query: ListQuery<string, string> | undefined): AsyncGenerator<Page<T>, void, undefined> {
    let page: Page<T> | undefined = await this.page(query);
    while (page) {
      yield page;
      page = await page.next();
    }
  }

  async *iterate(query: ListQuery<string, string> | undefined): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages(query)) yield* page.items;
  }

  async get(id: Id, query: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    const doc = await this.transport.json<T>({ method: "GET", path: this.itemPath(id), query, signal });
    this.remember(doc);
    return doc;
  }

  async getBy(path: string, query: Record<string, string | undefined>, signal?: AbortSignal): Promise<T> {
    const doc = await this.transport.json<T>({ method: "GET", path, query, signal });
    this.remember(doc);
    return doc;
  }

  async createOne(doc: unknown, signal?: AbortSignal): Promise<WriteResult<Id>> {
    const result = await this.transport.json<WriteResult<Id>>({
      method: "POST",
      path: this.path,
      body: this.bodyOf(doc),
      signal,
    });
    this.remember(result);
    return result;
  }

  /** A bulk POST: each item's result; a refused item has its issues (nothing is written then). */
  async createMany(docs: readonly unknown[], signal?: AbortSignal): Promise<BulkItem<Id>[]> {
    const response = await this.transport.send({
      method: "POST",
      path: this.path,
      body: { json: docs },
      signal,
      accept: [400, 422],
    });
    const body = (await decode(response)) as Record<string, unknown> | unknown[];
    const items = Array.isArray(body) ? body : isObject(body) && Array.isArray(body["_items"]) ? body["_items"] : null;
    if (!items) {
      if (!response.ok) throw await this.transport.error({ method: "POST", path: this.path }, rebuild(response, body));
      return [{ ok: true, result: body as unknown as WriteResult<Id> }];
    }
    return items.map((item: unknown): BulkItem<Id> => {
      const value = isObject(item) ? item : {};
      if (value["_status"] === "ERR" || value["_issues"] !== undefined) {
        return { ok: false, refused: true, issues: (value["_issues"] as Record<string, Json>) ?? {} };
      }
      if (!response.ok || value["_id"] === undefined) return { ok: false, refused: false, issues: {} };
      this.remember(value);
      return { ok: true as const, result: value as unknown as WriteResult<Id> };
    });
  }

  /** The ETag to send for `target`: the document's own, else the one last seen, else fetched. */
  async etagOf(target: Id | Partial<SystemFields<Id>>, signal?: AbortSignal): Promise<[Id, string]> {
    if (isObject(target)) {
      const id = target["_id"] as Id;
      const tag = (target["_etag"] as string | undefined) ?? this.etags.get(id);
      if (tag) return [id, tag];
      return [id, ((await this.get(id, {}, signal)) as SystemFields<Id>)._etag];
    }
    const id = target as Id;
    const tag = this.etags.get(id);
    if (tag) return [id, tag];
    return [id, ((await this.get(id, {}, signal)) as SystemFields<Id>)._etag];
  }

  async write(
    method: "PATCH" | "PUT",
    target: Id | Partial<SystemFields<Id>>,
    doc: unknown,
    signal?: AbortSignal,
  ): Promise<WriteResult<Id>> {
    const [id, etag] = await this.etagOf(target, signal);
    const result = await this.transport.json<WriteResult<Id>>({
      method,
      path: this.itemPath(id),
      body: this.bodyOf(doc),
      headers: { "If-Match": etag },
      signal,
    });
    this.remember(result);
    return result;
  }

  async deleteItem(target: Id | Partial<SystemFields<Id>>, signal?: AbortSignal): Promise<void> {
    const [id, etag] = await this.etagOf(target, signal);
    await this.transport.send({ method: "DELETE", path: this.itemPath(id), headers: { "If-Match": etag }, signal });
    this.etags.delete(id);
  }

  async deleteAll(signal?: AbortSignal): Promise<void> {
    await this.transport.send({ method: "DELETE", path: this.path, signal });
    this.etags.clear();
  }

  /**
   * Reads the document, applies `change` and PATCHes the result; on a 412 (someone
   * wrote it meanwhile) reads it again and reapplies, at most `attempts` times.
   */
  async modify(
    id: Id,
    change: (doc: T) => Record<string, unknown>,
    attempts = 3,
    signal?: AbortSignal,
  ): Promise<WriteResult<Id>> {
    for (let attempt = 1; ; attempt++) {
      const doc = await this.get(id, {}, signal);
      try {
        return await this.write("PATCH", doc as unknown as SystemFields<Id>, change(doc), signal);
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= attempts) throw error;
      }
    }
  }

  async importTable(table: ImportTable, options: ImportOptions, path: string): Promise<ImportReport> {
    const query: Record<string, string | undefined> = {
      mode: options.mode,
      upsert_on: options.upsertOn,
      on_error: options.onError,
    };
    let body: Body;
    if ("rows" in table) body = { json: { ds: table.rows } };
    else if ("csv" in table) body = { raw: table.csv, contentType: "text/csv" };
    else {
      const form = new FormData();
      form.append("file", table.file, table.filename ?? "import.csv");
      body = { raw: form };
    }
    const response = await this.transport.send({
      method: "POST",
      path,
      query,
      body,
      signal: options.signal,
      accept: [422],
    });
    const report = (await decode(response)) as Record<string, unknown>;
    if (!response.ok && !Array.isArray(report?.["_rejected"])) {
      throw await this.transport.error({ method: "POST", path }, rebuild(response, report));
    }
    return { ...(report as unknown as ImportReport), ok: response.ok };
  }
}

/** An endpoint's query string: scalars as text, lists and dicts (`json`) as JSON text. */
export function endpointQuery(query: object, json: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    out[key] = json.includes(key) || typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return out;
}

function rebuild(response: Response, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status: response.status,
    headers: response.headers,
  });
}

// ---------------------------------------------------------------------------------
// Live subscriptions (Server-Sent Events over fetch)

export interface SubscribeOptions {
  /** Resume after this event id (the server replays what came after it). */
  since?: string;
  /** Stops the subscription. */
  signal?: AbortSignal;
  /** Wait before reconnecting after a dropped connection (ms, default 250, doubling to 5 s). */
  reconnectDelayMs?: number;
}

interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let id: string | undefined;
  let event = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length > 0 || event) yield { id, event: event || "message", data: data.join("\n") };
          id = undefined;
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value2 = colon < 0 ? "" : line.slice(colon + 1);
        if (value2.startsWith(" ")) value2 = value2.slice(1);
        if (field === "id") id = value2;
        else if (field === "event") event = value2;
        else if (field === "data") data.push(value2);
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}

/**
 * Follows `path`'s events: reconnects by itself when the connection drops, resuming
 * after the last event received (`Last-Event-ID`), so nothing is lost or repeated.
 * The server's `event: error` ends it with an `ApiError`; so does a refused start.
 */
export async function* subscribeEvents<T, Id>(
  transport: Transport,
  path: string,
  query: Record<string, string | undefined>,
  options: SubscribeOptions = {},
): AsyncGenerator<Event<T, Id>, void, undefined> {
  let last = options.since;
  const base = options.reconnectDelayMs ?? 250;
  let delay = base;
  for (;;) {
    const controller = new AbortController();
    const stop = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", stop, { once: true });
    try {
      let response: Response;
      try {
        response = await transport.send({
          method: "GET",
          path,
          query,
          headers: { Accept: "text/event-stream", ...(last !== undefined ? { "Last-Event-ID": last } : {}) },
          signal: controller.signal,
        });
      } catch (error) {
        if (error instanceof ApiError || options.signal?.aborted) throw error;
        await sleep(delay, options.signal);
        delay = Math.min(delay * 2, 5000);
        continue;
      }
      delay = base;
      try {
        for await (const message of sseMessages(response.body!)) {
          if (message.event === "error") {
            let body: unknown = message.data;
            try {
              body = JSON.parse(message.data);
            } catch {
              // the text as it came
            }
            const status = isObject(body) && isObject(body["_error"]) ? Number(body["_error"]["code"]) : 500;
            throw new ApiError(status, body, "GET", transport.url(path, query));
          }
          if (message.event !== "insert" && message.event !== "update" && message.event !== "delete") continue;
          if (message.id !== undefined) last = message.id;
          yield { type: message.event, id: message.id ?? "", data: JSON.parse(message.data) } as Event<T, Id>;
        }
      } catch (error) {
        if (error instanceof ApiError || options.signal?.aborted) throw error;
        // The connection dropped: reconnect below.
      }
      if (options.signal?.aborted) return;
      await sleep(delay, options.signal);
    } finally {
      options.signal?.removeEventListener("abort", stop);
      controller.abort();
    }
  }
}

// ---------------------------------------------------------------------------------
// Batches and bounded concurrency

/** A request's outcome in a batch: its value, or the error it threw. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs at most `limit` tasks at once; `run` starts a task when a slot is free and
 * answers its promise (flowthings' `lazy`: compose the promises freely).
 */
export class Pool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError("a pool runs at least one task at once");
  }
  /** How many tasks run now. */
  get running(): number {
    return this.active;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Runs every task (at most `concurrency` at once, default all) and answers each
 * one's outcome in order, failures included (flowthings' `async` with
 * `with_exceptions`).
 */
export async function batch<T extends readonly unknown[]>(
  tasks: { [K in keyof T]: () => Promise<T[K]> },
  concurrency?: number,
): Promise<{ [K in keyof T]: Settled<T[K]> }> {
  const pool = new Pool(concurrency ?? Math.max(1, tasks.length));
  const outcomes = await Promise.all(
    (tasks as readonly (() => Promise<unknown>)[]).map((task) =>
      pool.run(task).then(
        (value): Settled<unknown> => ({ ok: true, value }),
        (error: unknown): Settled<unknown> => ({ ok: false, error }),
      ),
    ),
  );
  return outcomes as { [K in keyof T]: Settled<T[K]> };
}
