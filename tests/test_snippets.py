"""Every Python block of the README and the user guide runs, page by page.

The fenced ```python blocks of a page run in order in one namespace, as a reader
would paste them, with the working directory in a temporary folder. A block is
left out only when the line right before it is the visible marker
``<!-- snippet: skip (REASON) -->`` with a reason (e.g. it needs a running
cluster); such markers are counted, and kept few.
"""

import re
import warnings
from pathlib import Path

import matplotlib
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PAGES += sorted((ROOT / "docs" / "guide").glob("*.md"))
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```\s*$",
    re.MULTILINE | re.DOTALL,
)
SKIP = re.compile(r"<!--\s*snippet:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->\s*$")


def python_blocks(text):
    """``(line, code, skip_reason)`` for each fenced python block of ``text``."""
    blocks = []
    for match in FENCE.finditer(text):
        if match.group("info").strip().split(" ")[0] not in {"python", "py"}:
            continue
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        line = text.count("\n", 0, match.start()) + 1
        body = match.group("body")
        indent = len(match.group("indent"))
        code = "\n".join(row[indent:] for row in body.splitlines())
        blocks.append((line, code, skip.group("reason") if skip else None))
    return blocks


def _id(page):
    return str(page.relative_to(ROOT))


def test_pages_are_found_and_have_snippets():
    names = {_id(p) for p in PAGES}
    assert "README.md" in names and "docs/getting_started.md" in names
    assert sum(len(python_blocks(p.read_text(encoding="utf-8"))) for p in PAGES) >= 10


def test_block_parser_reads_fences_markers_and_indentation():
    text = (
        "intro\n```python\nx = 1\n```\n"
        "<!-- snippet: skip (needs a cluster) -->\n```python\nconnect()\n```\n"
        "```bash\nls\n```\n"
        "- item\n\n  ```python\n  y = x + 1\n  ```\n"
    )
    assert python_blocks(text) == [
        (2, "x = 1", None),
        (6, "connect()", "needs a cluster"),
        (14, "y = x + 1", None),
    ]


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_every_python_snippet_of_the_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    namespace = {"__name__": f"snippets_of_{page.stem}"}
    for line, code, skip in python_blocks(page.read_text(encoding="utf-8")):
        if skip is not None:
            continue
        # a page may change scikit-learn's configuration: undone after each block
        with warnings.catch_warnings(), sklearn.config_context():
            # short fits in snippets stop before convergence by design
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                exec(compile(code, f"{_id(page)}:{line}", "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{_id(page)}, block at line {line}: {error!r}")


def test_opt_outs_are_few_and_give_a_reason():
    skipped = [
        (_id(page), line, reason)
        for page in PAGES
        for line, _, reason in python_blocks(page.read_text(encoding="utf-8"))
        if reason is not None
    ]
    assert len(skipped) <= 4, skipped
    assert all(len(reason.strip()) >= 10 for _, _, reason in skipped)
