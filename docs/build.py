"""Builds the API reference of tfgan_zoo from its docstrings with pdoc; fails on any warning.

    python docs/build.py                 # writes docs/api/index.html (open it in a browser)
    python docs/build.py --out /tmp/api  # elsewhere

Docstrings are Google style ("Args:", "Returns:") with reStructuredText roles (:class:`GAN`), which pdoc's
``google`` docformat renders. Every warning pdoc or an imported module raises while documenting (an unresolved
cross-reference, a broken docstring, a module that fails to import) makes the build fail with exit status 1,
so CI (``tests/test_docs.py``) keeps the reference clean.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import warnings

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "api"


def build(out=DEFAULT_OUT):
    """Writes the HTML reference of ``tfgan_zoo`` to ``out``; returns the list of warning messages raised."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PDOC_ALLOW_EXEC", "1")  # platform.uname() at import time runs `uname -p`
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="google", footer_text="tfgan_zoo API reference", show_source=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc("tfgan_zoo", output_directory=pathlib.Path(out))
    return [f"{w.category.__name__}: {w.message}" for w in caught]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    problems = build(args.out)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"API reference: {args.out / 'index.html'} ({len(problems)} warnings)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
