// The crm client against the crm server: sub-resources (`contacts/{contact_id}/
// invoices`, `regions/{region}/offices`) reached through typed path parameters, the
// additional lookup (`contacts/<name>`), uuid and integer ids, embedding a parent.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, CrmClient } from "../../../../generated-example/crm/clients/typescript/src/index.js";
import { env, unique } from "./env.js";

const client = new CrmClient({ baseUrl: env("CRM_URL") });

test("sub-resources, the lookup and integer and uuid ids", async () => {
  const region = await client.regions.create({ name: "Nord" });
  assert.equal(typeof region._id, "number", "an integer id is a number");
  const name = unique("ada").replaceAll("-", "_");
  const contact = await client.contacts.create({ name, email: "ada@example.com", region: region._id });
  const byName = await client.contacts.getByName(name, { embedded: ["region"] });
  assert.equal(byName._id, contact._id);
  assert.deepEqual((byName.region as { name: string }).name, "Nord");

  const invoices = client.invoices({ contact_id: contact._id });
  const first = await invoices.create({ number: 1, total: 10.5 });
  await invoices.create([{ number: 2 }, { number: 3, total: 0 }]);
  const page = await invoices.find({ sort: invoices.fields.number.desc(), embedded: ["contact_id"] });
  assert.deepEqual(
    page.items.map((i) => i.number),
    [3, 2, 1],
  );
  assert.equal((page.items[0]!.contact_id as { name: string }).name, name);
  await invoices.update(first._id, { total: 11 });
  assert.equal((await invoices.get(first._id)).total, 11);
  // Another contact's path does not reach the invoice.
  const other = await client.contacts.create({ name: `${name}_2` });
  await assert.rejects(
    client.invoices({ contact_id: other._id }).get(first._id),
    (error: unknown) => error instanceof ApiError && error.status === 404,
  );

  const offices = client.offices({ region: region._id });
  const office = await offices.create({ city: "Tromsø" });
  assert.equal((await offices.get(office._id)).city, "Tromsø");

  const ticket = await client.tickets.create({ subject: "help", region: region._id });
  assert.match(ticket._id, /^[0-9a-f-]{36}$/);
  assert.equal((await client.tickets.get(ticket._id)).subject, "help");
});
