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


def test_the_readme_example_passes_mypy_strict(tmp_path: pathlib.Path) -> None:
    from mypy import api

    code = README.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    example = tmp_path / "example.py"
    example.write_text(code)
    out, err, status = api.run(["--strict", "--no-incremental", str(example)])
    assert status == 0, out + err
