// The library client against the library server: CRUD, bulk, Eve's errors, ETags,
// pages, diff updates checked in the oplog, filters, embedding, aggregations,
// batches, bounded concurrency and a live subscription that survives a dropped
// connection.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  ApiError,
  ConflictError,
  LibraryClient,
  type Book,
  type Event,
} from "../../../../generated-example/library/clients/typescript/src/index.js";
import { env, unique, within } from "./env.js";
import { startProxy } from "./proxy.js";

const client = new LibraryClient({ baseUrl: env("LIBRARY_URL") });
const { books, authors } = client;
const f = books.fields;

test("create, get, update, replace and delete a book", async () => {
  const author = await authors.create({ name: unique("Gabriel") });
  const written = await books.create({ title: "Cien años de soledad", author: author._id, pages: 417, tags: ["novel"] });
  assert.equal(written._status, "OK");
  assert.equal(written._version, 1);

  const book = await books.get(written._id);
  assert.equal(book.title, "Cien años de soledad");
  assert.equal(book.pages, 417);
  assert.equal(book._etag, written._etag);
  assert.equal(book._deleted, false);
  assert.equal(books.core.etags.get(book._id), book._etag, "the ETag is remembered");

  const patched = await books.update(book, { pages: 418 });
  // A write's result names the document too (its `_id` and new `_etag`).
  const again418 = await books.update(patched, { pages: 418 });
  assert.equal(again418._version, 3);
  assert.equal(patched._version, 2);
  // By id alone: the ETag remembered from the PATCH's answer goes in If-Match.
  const replaced = await books.replace(book._id, { title: "One Hundred Years of Solitude", pages: 422 });
  assert.equal(replaced._version, 4);
  const again = await books.get(book._id);
  assert.equal(again.title, "One Hundred Years of Solitude");
  assert.equal(again.author, undefined, "a PUT replaces the whole document");

  await books.delete(again);
  await assert.rejects(books.get(book._id), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.kind, "not_found");
    return true;
  });
});

test("a document with files is sent as a multipart form", async () => {
  const cover = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], "cover.png", { type: "image/png" });
  const written = await books.create({ title: "123", pages: 12, tags: ["with", "cover"], cover });
  const book = await books.get(written._id);
  assert.equal(book.title, "123", "text stays text");
  assert.equal(book.pages, 12);
  assert.deepEqual(book.tags, ["with", "cover"]);
  const media = book.cover as { file: string; content_type: string; name: string; length: number };
  assert.equal(media.content_type, "image/png");
  assert.equal(media.name, "cover.png");
  assert.equal(media.length, 7);
  const served = await fetch(new URL(media.file, env("LIBRARY_URL")));
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  // A PATCH with a file too, If-Match and all.
  const photo = new Blob(["photo"], { type: "text/plain" });
  await books.update(book, { photos: [photo, photo] });
  assert.equal(((await books.get(book._id)).photos as unknown[]).length, 2);
});

test("a bulk create with one bad item reports each item, and writes none", async () => {
  const tag = unique("bulk");
  const results = await books.create([
    { title: "Good one", tags: [tag] },
    { title: "", tags: [tag] },
    { title: "Another good one", tags: [tag] },
  ]);
  assert.equal(results.length, 3);
  assert.deepEqual(results[0], { ok: false, refused: false, issues: {} });
  const bad = results[1]!;
  assert.ok(!bad.ok && bad.refused);
  assert.match(String(bad.issues["title"]), /min length is 1/);
  assert.equal((await books.find({ where: f.tags.eq(tag) })).items.length, 0, "all or none");

  const good = await books.create([{ title: "First", tags: [tag] }, { title: "Second", tags: [tag] }]);
  assert.ok(good.every((item) => item.ok));
  const ids = good.map((item) => (item.ok ? item.result._id : ""));
  const page = await books.find({ where: f.tags.eq(tag), sort: f.title.asc() });
  assert.deepEqual(
    page.items.map((b) => b._id),
    ids,
  );
});

test("a 422 is an ApiError with Eve's issues", async () => {
  await assert.rejects(books.create({ title: "x".repeat(201), pages: 0 }), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.equal(error.kind, "invalid");
    assert.equal(error.error?.code, 422);
    assert.match(String(error.issues["title"]), /max length is 200/);
    assert.match(String(error.issues["pages"]), /min value is 1/);
    return true;
  });
});

test("a 412 is a ConflictError, resolved by reading the document again", async () => {
  const { _id } = await books.create({ title: "Contested", pages: 10 });
  const mine = await books.get(_id);
  // Someone else writes it meanwhile.
  const other = new LibraryClient({ baseUrl: env("LIBRARY_URL") });
  await other.books.update(await other.books.get(_id), { pages: 11 });

  await assert.rejects(books.update(mine, { title: "Mine" }), (error: unknown) => {
    assert.ok(error instanceof ConflictError);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 412);
    assert.equal(error.kind, "conflict");
    return true;
  });
  // Resolved: read again, apply again.
  const fresh = await books.get(_id);
  await books.update(fresh, { title: "Mine" });
  // Or let the client do it: `modify` reads, applies, and retries a 412.
  await other.books.update(await other.books.get(_id), { pages: 12 });
  const stale = books.core.etags.get(_id);
  assert.ok(stale);
  const result = await books.modify(_id, (doc) => ({ pages: (doc.pages ?? 0) + 100 }));
  assert.notEqual(result._etag, stale);
  const end = await books.get(_id);
  assert.equal(end.pages, 112);
  assert.equal(end.title, "Mine");
});

test("pages follow _links both ways across more than three pages", async () => {
  const tag = unique("pages");
  const created = await books.create(
    Array.from({ length: 9 }, (_, i) => ({ title: `Page book ${String(i).padStart(2, "0")}`, tags: [tag] })),
  );
  assert.ok(created.every((item) => item.ok));
  const query = { where: f.tags.eq(tag), sort: [f.title.asc()], maxResults: 2 };

  const first = await books.find(query);
  assert.deepEqual(first.meta, { page: 1, max_results: 2, total: 9 });
  assert.ok(first.hasNext && !first.hasPrev);

  // Forwards, page after page.
  const forwards: string[][] = [];
  for await (const page of books.pages(query)) forwards.push(page.items.map((b) => b.title));
  assert.equal(forwards.length, 5);
  assert.deepEqual(forwards.at(-1), ["Page book 08"]);

  // Every document, through the async iterator.
  const all: string[] = [];
  for await (const book of books.iterate(query)) all.push(book.title);
  assert.deepEqual(
    all,
    Array.from({ length: 9 }, (_, i) => `Page book ${String(i).padStart(2, "0")}`),
  );

  // Backwards from the last page, with `prev`.
  let page = await books.find({ ...query, page: 5 });
  const backwards: string[][] = [];
  for (;;) {
    backwards.unshift(page.items.map((b) => b.title));
    const prev = await page.prev();
    if (!prev) break;
    page = prev;
  }
  assert.deepEqual(backwards, forwards);
  assert.equal(page.meta?.page, 1);
});

test("save sends only the changed field, as the oplog shows", async () => {
  const { _id } = await books.create({ title: "Diffed", pages: 100, tags: ["a", "b"], isbn: `978-${String(Date.now()).slice(-10)}` });
  const original = await books.get(_id);
  const changed: Book = { ...original, pages: 101 };
  const result = await books.save(original, changed);
  assert.ok(result);
  assert.equal(await books.save(changed, changed), undefined, "nothing changed, nothing sent");

  // The same with a tracked copy.
  const tracked = books.track(await books.get(_id));
  tracked.value.title = "Diffed again";
  assert.deepEqual(tracked.changes(), { title: "Diffed again" });
  await tracked.save();
  tracked.value.pages = 102;
  await tracked.save();
  assert.equal(await tracked.save(), undefined);

  const entries = await client.oplog.find({
    where: client.oplog.fields.i.eq(_id).and(client.oplog.fields.o.eq("PATCH")),
    sort: client.oplog.fields._id.desc(),
  });
  assert.deepEqual(
    entries.items.map((entry) => entry.c),
    [{ pages: 102 }, { title: "Diffed again" }, { pages: 101 }],
    "each PATCH carried the changed field only",
  );
  const stored = await books.get(_id);
  assert.equal(stored.pages, 102);
  assert.equal(stored.title, "Diffed again");
  assert.deepEqual(stored.tags, ["a", "b"]);
});

test("filters, sort, projection and embedding", async () => {
  const tag = unique("filter");
  const author = await authors.create({ name: unique("Borges") });
  await books.create([
    { title: "Ficciones", pages: 200, tags: [tag], author: author._id },
    { title: "El Aleph", pages: 150, tags: [tag], author: author._id },
    { title: "fervor de Buenos Aires", pages: 64, tags: [tag] },
    { title: "Otras inquisiciones", pages: 300, tags: [tag] },
  ]);
  const mine = f.tags.eq(tag);

  const bigOrAleph = await books.find({
    where: mine.and(f.pages.gte(250).or(f.title.re("^el ", "i"))),
    sort: [f.pages.desc()],
  });
  assert.deepEqual(
    bigOrAleph.items.map((b) => b.title),
    ["Otras inquisiciones", "El Aleph"],
  );

  const fs = await books.find({ where: mine.and(f.title.re(/^f/i)), sort: f.title.asc() });
  assert.deepEqual(
    fs.items.map((b) => b.title),
    ["Ficciones", "fervor de Buenos Aires"],
  );

  const small = await books.find({ where: mine.and(f.pages.lt(100).not()), sort: f.pages.asc() });
  assert.deepEqual(
    small.items.map((b) => b.pages),
    [150, 200, 300],
  );

  const projected = await books.find({ where: mine, projection: ["title"], sort: f.title.asc() });
  assert.equal(projected.items.length, 4);
  for (const b of projected.items) {
    assert.equal(typeof b.title, "string");
    assert.equal(b.pages, undefined, "projected out");
    assert.ok(b._id && b._etag);
  }

  const embedded = await books.find({ where: mine.and(f.author.exists()), embedded: ["author"], sort: f.title.desc() });
  assert.equal(embedded.items.length, 2);
  const first = embedded.items[0]!;
  assert.equal(typeof first.author, "object");
  assert.equal((first.author as { name: string }).name, author.name ?? (await authors.get(author._id)).name);

  const one = await books.get(first._id, { embedded: ["author"], projection: ["title", "author"] });
  assert.equal(typeof one.author, "object");
});

test("aggregations, home, openapi and schema", async () => {
  const tag = unique("agg");
  const author = await authors.create({ name: unique("Cortázar") });
  await books.create([
    { title: "Rayuela", pages: 600, tags: [tag], author: author._id, published: new Date(Date.UTC(1963, 5, 28)).toUTCString() },
    { title: "Bestiario", pages: 160, tags: [tag], author: author._id, published: new Date(Date.UTC(1951, 0, 1)).toUTCString() },
  ]);
  const page = await client.booksPerAuthor.aggregate({ tag, since: new Date(Date.UTC(1900, 0, 1)).toUTCString() });
  assert.equal(page.items.length, 1);
  const row = page.items[0]!;
  assert.equal(row._id, author._id);
  assert.equal(row.books, 2);
  assert.equal(row.pages, 760);
  assert.equal(row.first_title, "Bestiario", "dates before 1970 sort right");

  const home = await client.home();
  assert.ok(home._links.child?.some((link) => link.href === "books"));
  const openapi = await client.openapi();
  assert.equal(openapi["openapi"], "3.1.0");
  const schema = await client.schema();
  assert.ok("books" in schema);
  const bookSchema = await client.schemaOf("books");
  assert.ok("title" in bookSchema);
});

test("a batch answers every request's outcome, failures included", async () => {
  const { _id } = await books.create({ title: "Batched" });
  const [found, missing, listed] = await client.batch([
    () => books.get(_id),
    () => books.get("0123456789abcdef01234567"),
    () => books.find({ maxResults: 1 }),
  ]);
  assert.ok(found.ok);
  assert.equal(found.value.title, "Batched");
  assert.ok(!missing.ok);
  assert.ok(missing.error instanceof ApiError);
  assert.equal(missing.error.status, 404);
  assert.ok(listed.ok);
  assert.equal(listed.value.items.length, 1);
});

test("a pool runs at most n requests at once, lazily composed", async () => {
  const pool = client.pool(2);
  let running = 0;
  let most = 0;
  const timed = <T>(task: () => Promise<T>) =>
    pool.run(async () => {
      running++;
      most = Math.max(most, running);
      try {
        return await task();
      } finally {
        running--;
      }
    });
  // Dependent requests: each get waits for its create, all through the pool.
  const titles = Array.from({ length: 8 }, (_, i) => `Pooled ${i}`);
  const docs = await Promise.all(
    titles.map((title) => timed(() => books.create({ title })).then((w) => timed(() => books.get(w._id)))),
  );
  assert.deepEqual(
    docs.map((d) => d.title),
    titles,
  );
  assert.equal(most, 2);
  assert.equal(pool.running, 0);
});

test("a subscription the server refuses ends with an ApiError", async () => {
  const events = books.subscribe({ where: { colour: "red" } });
  await assert.rejects(events.next(), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 400);
    assert.match(error.error?.message ?? "", /colour/);
    return true;
  });
});

test("a live subscription survives a dropped connection without losing or repeating an event", async () => {
  const proxy = await startProxy(env("LIBRARY_URL"));
  const controller = new AbortController();
  try {
    const live = new LibraryClient({ baseUrl: proxy.url });
    const tag = unique("live");
    // Start from the oplog's end: nothing written from now on is missed, even before
    // the server has the subscription.
    const last = (await client.oplog.find({ sort: client.oplog.fields._id.desc(), maxResults: 1 })).items[0];
    const events = live.books.subscribe({
      where: f.tags.eq(tag),
      since: String(last?._id ?? 0),
      signal: controller.signal,
      reconnectDelayMs: 50,
    });
    const received: Event<Book, string>[] = [];
    const reading = (async () => {
      for await (const event of events) {
        received.push(event);
        if (received.length === 7) break;
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    const waitFor = async (n: number) => {
      const until = Date.now() + 10_000;
      while (received.length < n) {
        assert.ok(Date.now() < until, `only ${received.length} of ${n} events arrived`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const first = await books.create({ title: "Live 0", tags: [tag] });
    await waitFor(1);
    await books.create([{ title: "Live 1", tags: [tag] }, { title: "Live 2", tags: [tag] }]);
    await waitFor(3);

    // The connection is cut; the writes go on meanwhile.
    await proxy.cut();
    await books.create({ title: "Live 3", tags: [tag] });
    await books.create({ title: "Not mine", tags: ["other"] });
    const second = await books.find({ where: f.tags.eq(tag).and(f.title.eq("Live 1")) });
    await books.update(second.items[0]!, { title: "Live 1 again" });
    await books.create({ title: "Live 4", tags: [tag] });
    await books.delete(first._id);
    // Seven events, or what came within 15 s.
    await within(reading, 15_000);
    controller.abort();

    assert.ok(proxy.cuts() >= 1, "the connection was cut");
    assert.deepEqual(
      received.map((e) => [e.type, e.type === "delete" ? e.data._id : e.data.title]),
      [
        ["insert", "Live 0"],
        ["insert", "Live 1"],
        ["insert", "Live 2"],
        ["insert", "Live 3"],
        ["update", "Live 1 again"],
        ["insert", "Live 4"],
        ["delete", first._id],
      ],
    );
    const ids = received.map((e) => Number(e.id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, ids.length, "no event repeated");
  } finally {
    controller.abort();
    await proxy.close();
  }
});
