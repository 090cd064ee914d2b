"""The tables client: custom endpoints (typed path, query, body and answer), a 429
retried with back-off, imports (a 2-D list, CSV text, a file; one bad row), signed
requests. Each test writes as its own user: write quotas are per consumer."""

from __future__ import annotations

import os
import pathlib
import tempfile

import pytest

from tables_client import (
    ApiError,
    Basic,
    RateLimited,
    Retry,
    Signed,
    TablesClient,
    ValidationError,
)


def user(name: str) -> Basic:
    return Basic(name, f"password of {name}")


def secret(name: str) -> str:
    return os.environ.get(f"APIGEN_TABLES_{name.upper()}_SECRET", f"secret of {name}")


def test_custom_endpoints_are_typed(tables_url: str, tag: str) -> None:
    table = tag.lower()
    with TablesClient(tables_url, auth=user("cy")) as client:
        appended = client.endpoints.append_rows(
            table, [{"year": 2000, "amount": 1.5, "region": "north"}, {"year": 2001}]
        )
        assert appended["table"] == table and appended["inserted"] == 2
        assert len(appended["ids"]) == 2
        assert client.endpoints.table_count(table) == 2
        assert client.endpoints.table_count(table, region="north") == 1
        assert client.endpoints.table_count(table, since="Mon, 01 Jan 2035 00:00:00 GMT") == 0
        with pytest.raises(ValidationError) as refused:
            client.endpoints.append_rows(table, [{"year": 0}])
        assert refused.value.status == 422 and refused.value.issues
        with pytest.raises(ApiError) as bad_path:
            client.endpoints.table_count("Not A Table")
        assert bad_path.value.status == 422 and "table_name" in bad_path.value.issues
        with pytest.raises(ApiError) as forbidden:
            client.endpoints.drop_table(table)
        assert forbidden.value.status == 401
    with TablesClient(tables_url, auth=user("root")) as admin:
        assert admin.endpoints.drop_table(table) == {"deleted": 2}
        assert admin.endpoints.table_count(table) == 0


def test_a_429_carries_retry_after_and_is_retried(tables_url: str, tag: str) -> None:
    with TablesClient(tables_url, auth=user("ada")) as client:
        created = client.rows.create([{"table": tag, "year": 2000 + i} for i in range(12)])
        assert created.ok
        ids = [item.result["_id"] for item in created.items if item.result]
        limited: RateLimited | None = None
        while ids:
            try:
                client.rows.delete(ids[0])
            except RateLimited as error:
                limited = error
                break
            ids.pop(0)
        assert limited is not None, "three deletes every two seconds, then 429"
        assert limited.status == 429
        assert limited.retry_after is not None and 0 < limited.retry_after <= 2
        assert limited.message
    retry = Retry(attempts=5, backoff=0.1)
    with TablesClient(tables_url, auth=user("ada"), retry=retry) as client:
        for row_id in ids:
            client.rows.delete(row_id)
        assert retry.retried >= 1
        assert client.rows.find(client.rows.mem.table == tag).items == []


def test_imports_report_each_row(tables_url: str, tag: str) -> None:
    table = tag.lower()
    with TablesClient(tables_url, auth=user("bea")) as client:
        report = client.rows.import_table(
            [["table", "year", "ref"], [table, 2001, f"{tag}-1"], [table, 0, f"{tag}-2"], [table, 2003, f"{tag}-3"]],
            on_error="skip",
        )
        assert (report["rows"], report["inserted"], report["rejected"]) == (3, 2, 1)
        assert report["_rejected"][0]["row"] == 3
        assert "year" in report["_rejected"][0]["_issues"]
        # All or nothing (the default): refused whole, and the report says why.
        refused = client.rows.import_table(f"table,year\n{table},2004\n{table},-1\n")
        assert (refused["inserted"], refused["rejected"]) == (0, 1)
        # CSV text, then a file (multipart), upserting by `ref`.
        done = client.rows.import_table(f"table,year,ref\n{table},2010,{tag}-1\n", mode="upsert", upsert_on="ref")
        assert done["updated"] == 1
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "rows.csv"
            path.write_text(f"table,year\n{table},2020\n{table},2021\n")
            from_file = client.rows.import_table(path)
        assert from_file["inserted"] == 2
        years = sorted(r["year"] for r in client.rows.iterate(client.rows.mem.table == table))
        assert years == [2003, 2010, 2020, 2021]


def test_signed_requests_are_computed_by_the_client(tables_url: str, tag: str) -> None:
    table = tag.lower()
    signed = Signed("dee", secret("dee"), "rows")
    with TablesClient(tables_url, auth=signed) as client:
        report = client.rows.import_table([["table", "year"], [table, 1999]])
        assert report["inserted"] == 1
        # Two identical requests in a row: each gets its own stamp (no replay).
        again = client.rows.import_table([["table", "year"], [table, 1999]])
        assert again["inserted"] == 1
    with TablesClient(tables_url, auth=Signed("dee", "not the secret", "rows")) as client:
        with pytest.raises(ApiError) as refused:
            client.rows.import_table([["table", "year"], [table, 1999]])
        assert refused.value.status == 401
