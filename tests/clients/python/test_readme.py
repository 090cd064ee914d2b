"""The generated README's example runs as written (against the library server)."""

from __future__ import annotations

import contextlib
import io
import os
import pathlib

import pytest

README = pathlib.Path(__file__).parents[3] / "generated-example/library/clients/python/README.md"


def test_the_readme_example_runs(library_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setitem(os.environ, "API_URL", library_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(README), "exec"), {})
    assert "on the first page" in out.getvalue()
