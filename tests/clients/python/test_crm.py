"""The crm client: an additional lookup, sub-resources (flowthings'
`api.drop('<flow_id>').find()`: a resource parameterized by its parent), and
integer and UUID ids."""

from __future__ import annotations

import pytest

from crm_client import CrmClient, NotFoundError


def test_lookup_sub_resources_and_id_types(crm_url: str, tag: str) -> None:
    with CrmClient(crm_url) as client:
        region = client.regions.create({"name": f"North {tag}"})
        assert isinstance(region, dict) and isinstance(region["_id"], int)
        assert client.regions.get(region["_id"])["name"] == f"North {tag}"
        contact = client.contacts.create({"name": f"ada{tag}", "region": region["_id"]})
        assert isinstance(contact, dict)
        # `GET contacts/<name>`: the additional lookup.
        by_name = client.contacts.get_by_name(f"ada{tag}")
        assert by_name["_id"] == contact["_id"]
        # api.drop('<flow_id>').find(): each contact's invoices.
        invoices = client.invoices(contact["_id"])
        created = invoices.create([{"number": 1, "total": 9.5}, {"number": 2}])
        assert created.ok
        other = client.contacts.create({"name": f"bob{tag}"})
        assert isinstance(other, dict)
        client.invoices(other["_id"]).create({"number": 3})
        found = invoices.find(sort="number", embedded=["contact_id"])
        assert [i["number"] for i in found] == [1, 2]
        parent = found.items[0]["contact_id"]
        assert isinstance(parent, dict) and parent["name"] == f"ada{tag}"
        first = invoices.get(found.items[0]["_id"])
        invoices.update(first["_id"], {"total": 10.0})
        assert invoices.get(first["_id"])["total"] == 10.0
        invoices.delete_all()
        assert invoices.find().items == []
        assert len(client.invoices(other["_id"]).find().items) == 1
        # UUID ids.
        ticket = client.tickets.create({"subject": f"{tag} help", "region": region["_id"]})
        assert isinstance(ticket, dict) and len(ticket["_id"]) == 36
        assert client.tickets.get(ticket["_id"])["subject"] == f"{tag} help"
        client.tickets.delete(ticket["_id"])
        with pytest.raises(NotFoundError):
            client.tickets.get(ticket["_id"])
