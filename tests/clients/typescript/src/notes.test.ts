// The notes client against the notes server: every auth scheme the spec declares,
// computed by the client (Basic, tokens, JWTs, Eve's HMAC, the dataset API's signed
// requests), API keys, refusals as ApiErrors, and owned documents.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, NotesClient, type Credentials } from "../../../../generated-example/notes/clients/typescript/src/index.js";
import { env, unique, within } from "./env.js";
import { startProxy } from "./proxy.js";

const baseUrl = env("NOTES_URL");
const alice = env("NOTES_USER");
const as = (auth: Credentials) => new NotesClient({ baseUrl, auth });
const basic = as({ scheme: "basic", user: alice, password: env("NOTES_PASSWORD") });

test("Basic: a writer creates and reads her notes", async () => {
  const title = unique("basic");
  const written = await basic.notes.create({ title, body: "über" });
  const note = await basic.notes.get(written._id);
  assert.equal(note.title, title);
  assert.equal(note["owner"], alice, "the server stamps the owner");
  await basic.notes.update(note, { body: "changed" });
  assert.equal((await basic.notes.get(note._id)).body, "changed");
});

test("a token, a JWT, HMAC and signed requests each prove the user", async () => {
  const title = unique("schemes");
  const { _id } = await basic.notes.create({ title });
  const token = as({ scheme: "token", token: env("NOTES_TOKEN") });
  assert.equal((await token.notes.get(_id)).title, title);

  const hmac = as({ scheme: "hmac", user: alice, secret: env("NOTES_SECRET") });
  assert.equal((await hmac.notes.get(_id)).title, title);
  // The same request again within the second: the client waits for the next one
  // rather than send a replay the server refuses.
  assert.equal((await hmac.notes.get(_id)).title, title);
  const written = await hmac.notes.create({ title: `${title} (hmac)`, body: "Zoë ✓" });
  await hmac.notes.update(written._id, { body: "signed PATCH" });
  assert.equal((await hmac.notes.get(written._id)).body, "signed PATCH");

  const signed = as({ scheme: "signed", visitor: alice, key: env("NOTES_SECRET"), type: "notes" });
  const page = await signed.notes.find({ where: signed.notes.fields.title.eq(title) });
  assert.equal(page.items.length, 1);

  const jwt = as({ scheme: "jwt", token: env("NOTES_JWT") });
  const mine = await jwt.notes.create({ title: unique("jwt") });
  assert.equal((await jwt.notes.get(mine._id))["owner"], env("NOTES_JWT_USER"));
});

test("refusals are ApiErrors; owned notes stay their owner's", async () => {
  const { _id } = await basic.notes.create({ title: unique("private") });
  const anonymous = new NotesClient({ baseUrl });
  await assert.rejects(anonymous.notes.get(_id), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 401);
    assert.equal(error.kind, "unauthorized");
    assert.equal(error.error?.message, "Please provide proper credentials");
    return true;
  });
  const wrong = as({ scheme: "hmac", user: alice, secret: "not the secret" });
  await assert.rejects(wrong.notes.get(_id), (error: unknown) => error instanceof ApiError && error.status === 401);
  // Another writer does not see it.
  const jwt = as({ scheme: "jwt", token: env("NOTES_JWT") });
  await assert.rejects(jwt.notes.get(_id), (error: unknown) => error instanceof ApiError && error.status === 404);
});

test("an API key reads the status; none is refused", async () => {
  const keyed = new NotesClient({ baseUrl, apiKey: env("NOTES_API_KEY") });
  const page = await keyed.status.find();
  assert.ok(Array.isArray(page.items));
  await assert.rejects(new NotesClient({ baseUrl }).status.find(), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 401);
    return true;
  });
  // Public reads need nothing.
  assert.ok(Array.isArray((await new NotesClient({ baseUrl }).announcements.find()).items));
});

test("an HMAC-signed subscription follows its owner's notes through a dropped connection", async () => {
  const proxy = await startProxy(baseUrl);
  const controller = new AbortController();
  try {
    const secret = env("NOTES_SECRET");
    const live = new NotesClient({ baseUrl: proxy.url, auth: { scheme: "hmac", user: alice, secret } });
    const tag = unique("live");
    const last = (await basic.oplog.find({ sort: basic.oplog.fields._id.desc(), maxResults: 1 })).items[0];
    const events = live.notes.subscribe({
      where: live.notes.fields.body.eq(tag),
      since: String(last?._id ?? 0),
      signal: controller.signal,
      reconnectDelayMs: 50,
    });
    const titles: string[] = [];
    const reading = (async () => {
      for await (const event of events) {
        if (event.type !== "delete") titles.push(event.data.title);
        if (titles.length === 4) break;
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    await basic.notes.create({ title: "one", body: tag });
    await basic.notes.create({ title: "two", body: tag });
    while (titles.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await proxy.cut();
    // Another writer's note never reaches alice.
    const jwt = as({ scheme: "jwt", token: env("NOTES_JWT") });
    await jwt.notes.create({ title: "not hers", body: tag });
    await basic.notes.create({ title: "three", body: tag });
    await basic.notes.create({ title: "four", body: tag });
    await within(reading, 15_000);
    assert.deepEqual(titles, ["one", "two", "three", "four"]);
    assert.equal(proxy.cuts(), 1);
  } finally {
    controller.abort();
    await proxy.close();
  }
});
