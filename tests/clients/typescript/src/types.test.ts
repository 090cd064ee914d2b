// Type checking is part of the test: each `@ts-expect-error` line below must NOT
// compile (tsc fails on an unused directive), and the lines without one must.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LibraryClient } from "../../../../generated-example/library/clients/typescript/src/index.js";
import { TablesClient } from "../../../../generated-example/tables/clients/typescript/src/index.js";

const library = new LibraryClient({ baseUrl: "http://127.0.0.1:1" });
const f = library.books.fields;

export function compileTimeChecks(): void {
  f.title.gt("M");
  f.pages.gt(3);
  f.title.re("^a", "i");
  // @ts-expect-error `gt(3)` on a text field
  f.title.gt(3);
  // @ts-expect-error `gt("M")` on an integer field
  f.pages.gt("M");
  // @ts-expect-error `re` only exists on text fields
  f.pages.re("1");
  // @ts-expect-error `re` is not for dates or object ids either
  f.published.re("2020");
  f.published.lt(new Date(0).toUTCString());
  // @ts-expect-error `title` is required in a new book
  void library.books.create({ pages: 3 });
  // @ts-expect-error no such field
  void library.books.create({ title: "x", colour: "red" });
  // @ts-expect-error system fields are not inputs
  void library.books.update("id", { _etag: "x" });
  // @ts-expect-error an author's field does not sort books
  void library.books.find({ sort: [library.authors.fields.name.asc()] });
  // @ts-expect-error projection names the resource's fields
  void library.books.find({ projection: ["colour"] });
  // @ts-expect-error only `author` is embeddable
  void library.books.find({ embedded: ["tags"] });
  // @ts-expect-error the library declares no auth scheme
  void new LibraryClient({ baseUrl: "x", auth: { scheme: "basic", user: "u", password: "p" } });
  const tables = new TablesClient({ baseUrl: "x", auth: { scheme: "basic", user: "u", password: "p" } });
  // @ts-expect-error tables takes no jwt
  void new TablesClient({ baseUrl: "x", auth: { scheme: "jwt", token: "t" } });
  // @ts-expect-error a custom endpoint's path parameters are typed
  void tables.endpoints.tableCount({ table: "x" });
  // @ts-expect-error and its body
  void tables.endpoints.appendRows({ table_name: "x" }, [{ amount: 3 }]);
}

test("filters compile to Eve's where", () => {
  assert.deepEqual(f.title.gt("M").where, { title: { $gt: "M" } });
  assert.deepEqual(f.title.re("^a", "i").where, { title: { $regex: "^a", $options: "i" } });
  assert.deepEqual(f.pages.gte(3).or(f.title.eq("x")).where, { $or: [{ pages: { $gte: 3 } }, { title: "x" }] });
  assert.deepEqual(f.pages.in([1, 2]).and(f.tags.eq("t")).where, { $and: [{ pages: { $in: [1, 2] } }, { tags: "t" }] });
  assert.deepEqual(f.pages.lt(3).not().where, { $nor: [{ pages: { $lt: 3 } }] });
  assert.equal(String(f.pages.desc()), "-pages");
});
