// The tables client against the tables server: rate limits (a 429 with Retry-After,
// then retried), custom endpoints with typed path, query, body and answer, and
// imports (2-D array, CSV, file; a bad row reported).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, RateLimitError, TablesClient } from "../../../../generated-example/tables/clients/typescript/src/index.js";
import { env } from "./env.js";

const baseUrl = env("TABLES_URL");
const user = (name: string, retry = false) =>
  new TablesClient({ baseUrl, auth: { scheme: "basic", user: name, password: env("TABLES_PASSWORD_PREFIX") + name }, retry });
const table = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}`;

test("a 429 is a RateLimitError with Retry-After; retry: true waits and succeeds", async () => {
  const ada = user("ada");
  const t = table("limits");
  const rows = await ada.rows.create(Array.from({ length: 7 }, (_, i) => ({ table: t, year: 2000 + i })));
  const ids = rows.map((r) => (r.ok ? r.result._id : ""));
  // Deleting is rationed: three every two seconds.
  let refused: RateLimitError | undefined;
  let deleted = 0;
  for (const id of ids) {
    try {
      await ada.rows.delete(id);
      deleted++;
    } catch (error) {
      assert.ok(error instanceof RateLimitError, String(error));
      refused = error;
      break;
    }
  }
  // Three per window: whatever window the first delete falls in, one of the seven
  // is refused.
  assert.ok(refused, "a fourth delete within a two-second window is refused");
  assert.ok(deleted >= 3 && deleted < ids.length, `${deleted} deleted before the 429`);
  assert.equal(refused.status, 429);
  assert.equal(refused.kind, "rate_limited");
  assert.ok(refused.retryAfter >= 0 && refused.retryAfter <= 2, `Retry-After ${refused.retryAfter}`);

  const patient = user("ada", true);
  for (const id of ids.slice(deleted)) await patient.rows.delete(id);
  const left = await patient.rows.find({ where: patient.rows.fields.table.eq(t) });
  assert.equal(left.items.length, 0);
});

test("custom endpoints: typed path, query, body and answer", async () => {
  const bea = user("bea");
  const t = table("endpoint");
  const appended = await bea.endpoints.appendRows({ table_name: t }, [
    { year: 2001, amount: 1.5, region: "north" },
    { year: 2002, region: "south" },
  ]);
  assert.equal(appended.table, t);
  assert.equal(appended.inserted, 2);
  assert.equal(appended.ids.length, 2);
  assert.equal(await bea.endpoints.tableCount({ table_name: t }), 2);
  assert.equal(await bea.endpoints.tableCount({ table_name: t }, { region: "north" }), 1);

  await assert.rejects(bea.endpoints.appendRows({ table_name: t }, [{ year: 0 }]), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 422);
    assert.ok(Object.keys(error.issues).length > 0, JSON.stringify(error.body));
    return true;
  });
  // Admins only.
  await assert.rejects(bea.endpoints.dropTable({ table_name: t }), (error: unknown) => error instanceof ApiError && error.status === 401);
  const root = user("root");
  assert.deepEqual(await root.endpoints.dropTable({ table_name: t }), { deleted: 2 });
});

test("imports: a bad row is reported; skip keeps the good ones; CSV and files too", async () => {
  const cy = user("cy");
  const t = table("import");
  const rows = [
    ["table", "year", "region"],
    [t, 1999, "east"],
    [t, 0, "west"],
    [t, 2001, null],
  ];
  const refused = await cy.rows.import({ rows });
  assert.equal(refused.ok, false, "all or nothing");
  assert.equal(refused.rows, 3);
  assert.equal(refused.rejected, 1);
  assert.equal(refused.inserted, 0);
  assert.equal(refused._rejected[0]?.row, 3, "the header is row 1");
  assert.match(String(refused._rejected[0]?._issues["year"]), /min value is 1/);

  const kept = await cy.rows.import({ rows }, { onError: "skip" });
  assert.equal(kept.ok, true);
  assert.equal(kept.inserted, 2);
  assert.equal(kept.rejected, 1);

  const signed = new TablesClient({
    baseUrl,
    auth: { scheme: "signed", visitor: "cy", key: env("TABLES_CY_SECRET"), type: "rows" },
  });
  const csv = await signed.rows.import({ csv: `table,year,ref\n${t},2010,${t}-a\n${t},2011,${t}-b\n` });
  assert.equal(csv.inserted, 2);
  const file = await cy.rows.import(
    { file: new Blob([`table,year,ref\n${t},2012,${t}-c\n`], { type: "text/csv" }), filename: "rows.csv" },
    { mode: "upsert", upsertOn: "ref" },
  );
  assert.equal(file.inserted, 1);
  const all = await cy.rows.find({ where: cy.rows.fields.table.eq(t), maxResults: 50 });
  assert.equal(all.items.length, 5);
});
