"""The library client against the generated library server: CRUD, bulk create,
422 issues, 412 resolved, pagination (sync and async), diff updates (checked in the
oplog), filters, sort, projection, embedding, batches and lazy requests."""

from __future__ import annotations

import asyncio

import pytest

from library_client import (
    AND,
    OR,
    AsyncLibraryClient,
    Book,
    BookFields,
    BookInput,
    ConflictError,
    LibraryClient,
    NotFoundError,
    ValidationError,
    mem,
)


def books_of(tag: str, n: int) -> list[BookInput]:
    return [{"title": f"{tag} {i}", "pages": i + 1, "tags": [tag]} for i in range(n)]


def test_crud(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as client:
        written = client.authors.create({"name": f"Ursula {tag}"})
        assert isinstance(written, dict)
        author_id = written["_id"]
        author = client.authors.get(author_id)
        assert author["name"] == f"Ursula {tag}"
        assert author["_etag"] == written["_etag"]
        updated = client.authors.update(author_id, {"born": "Mon, 21 Oct 1929 00:00:00 GMT"})
        assert updated["_etag"] != written["_etag"]
        assert client.authors.get(author_id)["born"] == "Mon, 21 Oct 1929 00:00:00 GMT"
        client.authors.replace(author_id, {"name": f"U. K. Le Guin {tag}"})
        again = client.authors.get(author_id)
        assert again["name"] == f"U. K. Le Guin {tag}"
        assert "born" not in again
        client.authors.delete(author_id)
        with pytest.raises(NotFoundError) as missing:
            client.authors.get(author_id)
        assert missing.value.status == 404


def test_bulk_create_reports_each_item_and_writes_none_when_one_is_bad(
    library_url: str, tag: str
) -> None:
    with LibraryClient(library_url) as client:
        result = client.books.create(
            [{"title": f"{tag} good", "pages": 10}, {"title": f"{tag} bad", "pages": 0}]
        )
        assert not isinstance(result, dict)
        assert not result.ok
        assert [item.ok for item in result.items] == [True, False]
        assert result.items[1].issues == {"pages": "min value is 1"}
        assert result.error is not None and result.error.status == 422
        assert client.books.find(BookFields.title.re(f"^{tag}")).items == []
        good = client.books.create(books_of(tag, 3))
        assert not isinstance(good, dict) and good.ok
        assert all(item.result and item.result["_id"] for item in good.items)


def test_a_422_names_its_issues(library_url: str) -> None:
    with LibraryClient(library_url) as client:
        with pytest.raises(ValidationError) as refused:
            client.books.create({"title": "", "pages": -1})
        error = refused.value
        assert error.status == 422
        assert error.issues == {"title": "min length is 1", "pages": "min value is 1"}
        assert isinstance(error.error, dict) and error.error["code"] == 422


def test_a_412_is_a_conflict_resolved_by_refetching(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as mine, LibraryClient(library_url) as theirs:
        written = mine.books.create({"title": f"{tag} conflict", "pages": 5})
        assert isinstance(written, dict)
        book_id = written["_id"]
        mine.books.get(book_id)
        theirs.books.get(book_id)
        theirs.books.update(book_id, {"pages": 6})
        with pytest.raises(ConflictError) as conflict:
            mine.books.update(book_id, {"pages": 7})
        assert conflict.value.status == 412
        # Resolved: read the document again (its new ETag), then re-apply.
        fresh = mine.books.get(book_id)
        assert fresh["pages"] == 6
        mine.books.update(book_id, {"pages": fresh["pages"] + 1})
        assert theirs.books.get(book_id)["pages"] == 7


def test_pagination_follows_links_across_pages(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as client:
        created = client.books.create(books_of(tag, 7))
        assert not isinstance(created, dict) and created.ok
        mine = BookFields.title.re(f"^{tag} ")
        first = client.books.find(mine, max_results=2, sort="pages")
        assert first.total == 7 and len(first) == 2 and first.next_href
        pages = list(client.books.pages(mine, max_results=2, sort="pages"))
        assert [len(p) for p in pages] == [2, 2, 2, 1]
        titles = [b["title"] for b in client.books.iterate(mine, max_results=2, sort="pages")]
        assert titles == [f"{tag} {i}" for i in range(7)]


def test_async_pagination_and_crud(library_url: str, tag: str) -> None:
    async def main() -> None:
        async with AsyncLibraryClient(library_url) as client:
            created = await client.books.create(books_of(tag, 5))
            assert not isinstance(created, dict) and created.ok
            mine = BookFields.title.re(f"^{tag} ")
            pages = [p async for p in client.books.pages(mine, max_results=2, sort="-pages")]
            assert [len(p) for p in pages] == [2, 2, 1]
            books = [b async for b in client.books.iterate(mine, max_results=2, sort="-pages")]
            assert [b["pages"] for b in books] == [5, 4, 3, 2, 1]
            book = await client.books.get(books[0]["_id"])
            await client.books.update(book["_id"], {"pages": 50})
            assert (await client.books.get(book["_id"]))["pages"] == 50
            await client.books.delete(book["_id"])
            with pytest.raises(NotFoundError):
                await client.books.get(book["_id"])

    asyncio.run(main())


def test_save_sends_only_the_changed_field(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as client:
        written = client.books.create({"title": f"{tag} diff", "pages": 100, "tags": ["a"]})
        assert isinstance(written, dict)
        book: Book = client.books.get(written["_id"])
        book["pages"] = 120
        result = client.books.save(book)
        assert result is not None and book["_etag"] == result["_etag"]
        entry = client.oplog.find(
            client.oplog.mem.i == book["_id"], client.oplog.mem.o == "PATCH", sort="-_id"
        ).items[0]
        assert entry["c"] == {"pages": 120}, entry
        # Nothing changed: nothing sent.
        assert client.books.save(book) is None
        book["title"] = f"{tag} diff, again"
        client.books.save(book)
        assert client.books.get(book["_id"])["title"] == f"{tag} diff, again"


def test_filters_sort_projection_and_embedding(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as client:
        author = client.authors.create({"name": f"Borges {tag}"})
        assert isinstance(author, dict)
        docs: list[BookInput] = [
            {"title": f"{tag} Ficciones", "pages": 200, "author": author["_id"]},
            {"title": f"{tag} Aleph", "pages": 150, "author": author["_id"]},
            {"title": f"{tag} Atlas", "pages": 80, "author": author["_id"]},
        ]
        created = client.books.create(docs)
        assert created.ok
        f = client.books.mem
        mine = f.title.re(f"^{tag} ")
        big = client.books.find(mine & (f.pages > 100), sort=f.pages.desc())
        assert [b["pages"] for b in big] == [200, 150]
        either = client.books.find(
            AND(mine, OR(f.title == f"{tag} Atlas", f.title.re("aleph$", "i"))), sort="title"
        )
        assert [b["title"] for b in either] == [f"{tag} Aleph", f"{tag} Atlas"]
        # flowthings' untyped `mem` builds the same filters.
        assert len(client.books.find(mine, mem.pages <= 150).items) == 2
        projected = client.books.find(mine, projection=[f.title], sort="title").items[0]
        assert projected["title"] == f"{tag} Aleph" and "pages" not in projected
        embedded = client.books.find(mine, embedded=["author"], max_results=1).items[0]
        assert isinstance(embedded["author"], dict)
        assert embedded["author"]["name"] == f"Borges {tag}"
        one = client.books.get(embedded["_id"], embedded={"author": 1}, projection=["author"])
        assert isinstance(one["author"], dict) and "title" not in one


def test_a_batch_gives_each_result_and_the_failing_one_as_an_error(
    library_url: str, tag: str
) -> None:
    with LibraryClient(library_url) as client:
        created = client.books.create(books_of(tag, 2))
        assert not isinstance(created, dict)
        ids = [item.result["_id"] for item in created.items if item.result]
        batch = client.batch()
        batch.add(client.books.get, ids[0])
        batch.add(client.books.get, "0123456789abcdef01234567")
        batch.add(client.books.get, ids[1])
        results = batch.results(with_exceptions=True)
        assert [type(e).__name__ if e else None for e, _ in results] == [
            None,
            "NotFoundError",
            None,
        ]
        assert results[0][1]["title"] == f"{tag} 0"
        with pytest.raises(NotFoundError):
            batch.add(client.books.get, "0123456789abcdef01234567")
            batch.results()


def test_lazy_requests_run_in_parallel_with_bounded_concurrency(
    library_url: str, tag: str
) -> None:
    with LibraryClient(library_url) as client:
        client.books.create(books_of(tag, 4))
        with client.lazy(concurrency=2) as lazy:
            f = client.books.mem
            first = lazy(client.books.find, f.title == f"{tag} 0")
            second = lazy(client.books.find, f.title == f"{tag} 1")
            # A dependent request waits only for what it reads.
            book = lazy(client.books.get, first.unwrap().items[0]["_id"])
            assert book.unwrap()["pages"] == 1
            assert second.unwrap().items[0]["pages"] == 2

    async def main() -> None:
        async with AsyncLibraryClient(library_url) as client:
            lazy = client.lazy(concurrency=2)
            f = client.books.mem
            tasks = [lazy(client.books.find, f.title == f"{tag} {i}") for i in range(4)]
            pages = [await t for t in tasks]
            assert [p.items[0]["pages"] for p in pages] == [1, 2, 3, 4]
            batch = client.batch(concurrency=3)
            batch.add(client.books.find, f.title == f"{tag} 0")
            batch.add(client.books.get, "0123456789abcdef01234567")
            results = await batch.results(with_exceptions=True)
            assert results[0][0] is None and isinstance(results[1][0], NotFoundError)

    asyncio.run(main())


def test_typed_fields_and_inputs_refuse_wrong_types(library_url: str) -> None:
    """mypy --strict rejects each line marked `type: ignore` (an unneeded ignore is
    itself an error under --strict), and at run time they are still plain values."""
    wrong = BookFields.pages > "3"  # type: ignore[operator]
    assert wrong.where == {"pages": {"$gt": "3"}}
    assert (BookFields.pages == 3).where == {"pages": 3}
    assert BookFields.title.re("^A", "i").where == {"title": {"$regex": "^A", "$options": "i"}}
    with LibraryClient(library_url) as client:
        with pytest.raises(ValidationError) as refused:
            client.books.create({"pages": 3})  # type: ignore[call-overload]
        assert "title" in refused.value.issues


def test_home_openapi_schema_versions_and_soft_delete(library_url: str, tag: str) -> None:
    with LibraryClient(library_url) as client:
        children = [link["href"] for link in client.home()["_links"]["child"]]
        assert "books" in children and "oplog" in children
        assert client.openapi()["openapi"].startswith("3.")
        assert client.schema()["books"]["title"]["required"] is True
        assert client.schema_item("authors")["name"]["unique"] is True
        written = client.books.create({"title": f"{tag} v1", "pages": 1})
        assert isinstance(written, dict)
        client.books.update(written["_id"], {"title": f"{tag} v2"})
        assert client.books.get(written["_id"], version=1)["title"] == f"{tag} v1"
        assert client.books.get(written["_id"])["_version"] == 2
        client.books.delete(written["_id"])
        mine = client.books.mem.title.re(f"^{tag} ")
        assert client.books.find(mine).items == []
        deleted = client.books.find(mine, show_deleted=True).items
        assert [b["_deleted"] for b in deleted] == [True]


def test_the_async_transport_spreads_concurrent_requests_over_small_pools(
    library_url: str, tag: str
) -> None:
    """16 requests at once run on 4 lanes of at most 4 connections (httpcore's pool
    does work for each open connection on every request: small pools keep the cost
    per request flat; see `AsyncHttp`)."""
    from library_client import _runtime

    async def main() -> None:
        async with AsyncLibraryClient(library_url) as client:
            lazy = client.lazy(16)

            async def create(i: int) -> object:
                return await client.books.create({"title": f"{tag} lane {i}"})

            tasks = [lazy(create, i) for i in range(64)]
            results = [await task for task in tasks]
            assert len(results) == 64
            lanes = client.http._lanes
            assert len(lanes) == 16 // _runtime.LANE_CONNECTIONS, len(lanes)
            assert client.http._busy == [0] * len(lanes)
            found = await client.books.find(client.books.mem.title.re(f"^{tag} lane "))
            assert found.total == 64

    asyncio.run(main())
