// Without HATEOAS (`hateoas = false`, served at the root) pages carry no `_links`:
// the client follows `_meta` instead, both ways.
import assert from "node:assert/strict";
import { test } from "node:test";

import { NolinksClient } from "../../../../generated-example/nolinks/clients/typescript/src/index.js";
import { env, unique } from "./env.js";

test("pages without _links are followed by their _meta", async () => {
  const client = new NolinksClient({ baseUrl: env("NOLINKS_URL") });
  const tag = unique("n");
  await client.notes.create(Array.from({ length: 5 }, (_, i) => ({ text: `${tag} ${i}` })));
  const query = { where: client.notes.fields.text.re(`^${tag}`), sort: client.notes.fields.text.asc(), maxResults: 2 };
  const texts: string[] = [];
  for await (const note of client.notes.iterate(query)) texts.push(note.text);
  assert.deepEqual(
    texts,
    Array.from({ length: 5 }, (_, i) => `${tag} ${i}`),
  );
  const last = await client.notes.find({ ...query, page: 3 });
  assert.ok(!last.hasNext);
  const second = await last.prev();
  assert.deepEqual(
    second?.items.map((n) => n.text),
    [`${tag} 2`, `${tag} 3`],
  );
});
