"""The API reference builds from the docstrings with pdoc (docs/build.py) without a single warning."""
import pathlib
import re
import runpy

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "build.py"


def test_api_reference_builds_without_warnings(tmp_path):
    build = runpy.run_path(str(DOCS))["build"]
    problems = build(tmp_path)
    assert problems == []
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    assert {"tfgan_zoo.html", "tfgan_zoo/models/gan.html", "tfgan_zoo/metrics.html", "tfgan_zoo/losses.html"} <= pages
    gan_page = (tmp_path / "tfgan_zoo" / "models" / "gan.html").read_text()
    docstrings = "".join(re.findall(r'<div class="docstring">(.*?)</div>', gan_page, flags=re.S))
    # Google-style sections and reST roles are rendered, not shown raw
    assert "Arguments:" in docstrings and "Args:" not in docstrings and ":class:`" not in docstrings
