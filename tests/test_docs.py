"""docs/derivations.md against the code, so that neither drifts unnoticed.

The section "Equations in the code" of the derivations is a Markdown table with the
columns ``equation | file | function | code``: each row names a file, a function in
it (``Class.method`` for a method) and quotes one line of that function verbatim in a
code span (its trailing ``#`` comment may be left out). These tests check every row
against the sources, and that every equation labelled (E1), (E2), … in the text has
at least one row.
"""

import ast
import io
import re
import tokenize
from functools import cache
from pathlib import Path

import pytest
from numpy.testing import assert_array_equal

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "derivations.md"
HEADING = re.compile(r"^##\s+(?:\d+\.\s+)?Equations in the code\s*$", re.MULTILINE)
COLUMNS = ["equation", "file", "function", "code"]
LABEL = re.compile(r"\((E\d+)\)")
DEFINED_LABEL = re.compile(r"\\text\{\((E\d+)\)\}")
CODE_SPAN = re.compile(r"^`([^`]+)`$")


def _cells(line):
    """The cells of a Markdown table row; ``\\|`` is a literal pipe."""
    line = line.strip()
    assert line.startswith("|") and line.endswith("|"), f"not a table row: {line!r}"
    cells = re.split(r"(?<!\\)\|", line[1:-1])
    return [cell.strip().replace("\\|", "|") for cell in cells]


def mapping_rows(text):
    """The rows (equation, file, function, code) of the mapping table in ``text``."""
    match = HEADING.search(text)
    assert match, "docs/derivations.md has no '## Equations in the code' section"
    lines = text[match.end() :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(_cells(line))
    assert table[0] == COLUMNS, f"mapping table header is {table[0]}"
    assert set("".join(table[1])) <= set("-: "), "second row must be the separator"
    rows = []
    for cells in table[2:]:
        assert len(cells) == len(COLUMNS), f"row with {len(cells)} cells: {cells}"
        equation, file, function, code = cells
        span = CODE_SPAN.match(code)
        assert span, f"code cell is not one code span: {code!r}"
        rows.append((equation, file, function, span.group(1)))
    return rows


@cache
def _source(file):
    return (ROOT / file).read_text(encoding="utf-8")


@cache
def _code_lines(file):
    """Each source line stripped, and stripped of its trailing comment."""
    source = _source(file)
    lines = source.splitlines()
    code = [line.strip() for line in lines]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            code[row - 1] = lines[row - 1][:col].strip()
    return lines, code


def find_function(file, qualname):
    """The ``def`` node of ``qualname`` (``f``, ``Class.method``) in ``file``."""
    scope = ast.parse(_source(file)).body
    node = None
    for part in qualname.split("."):
        named = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        matches = [n for n in scope if isinstance(n, named) and n.name == part]
        if not matches:
            return None
        node = matches[0]
        scope = node.body
    return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def function_lines(file, qualname):
    """The set of lines of the function, each as written and without its comment."""
    node = find_function(file, qualname)
    assert node is not None, f"{file} has no function {qualname}"
    lines, code = _code_lines(file)
    span = range(node.lineno - 1, node.end_lineno)
    return {lines[i].strip() for i in span} | {code[i] for i in span}


ROWS = mapping_rows(DOC.read_text(encoding="utf-8"))


def test_mapping_table_covers_the_derivation():
    assert len(ROWS) >= 40
    files = {file for _, file, _, _ in ROWS}
    assert {
        "skbackprop/_network.py",
        "skbackprop/_losses.py",
        "skbackprop/_activations.py",
        "skbackprop/_optimizers.py",
    } <= files
    functions = {function for _, _, function, _ in ROWS}
    assert {"layer_outputs", "backward", "cross_entropy_and_delta"} <= functions


@pytest.mark.parametrize(
    "equation, file, function, code",
    ROWS,
    ids=[f"{i:02d}-{row[2]}" for i, row in enumerate(ROWS)],
)
def test_quoted_line_is_in_the_named_function(equation, file, function, code):
    assert LABEL.search(equation), f"row without an (E…) label: {equation!r}"
    assert file.startswith("skbackprop/") and (ROOT / file).is_file(), file
    assert find_function(file, function) is not None, f"{file} has no {function}"
    assert code in function_lines(file, function), (
        f"{equation}: `{code}` is no longer a line of {function} in {file}; "
        "update the table in docs/derivations.md"
    )


def test_every_labelled_equation_is_mapped_and_every_row_label_defined():
    text = DOC.read_text(encoding="utf-8")
    defined = DEFINED_LABEL.findall(text)
    assert len(defined) == len(set(defined)), "an equation label is defined twice"
    mapped = {label for row in ROWS for label in LABEL.findall(row[0])}
    assert_array_equal(sorted(mapped), sorted(set(defined)))


def test_line_lookup_rejects_a_line_of_another_function():
    # A quote from ``backward`` must not be found in ``forward``, nor a made-up one.
    quoted = "_matmul_into(h_prev.T, delta, grads.coefs[k])"
    assert quoted in function_lines("skbackprop/_network.py", "backward")
    assert quoted not in function_lines("skbackprop/_network.py", "forward")
    assert "delta *= 2" not in function_lines("skbackprop/_network.py", "backward")
    assert find_function("skbackprop/_network.py", "no_such_function") is None
    assert find_function("skbackprop/_optimizers.py", "Adam.step") is not None
    assert find_function("skbackprop/_optimizers.py", "Adam") is None  # a class


def test_table_parser_reads_escaped_pipes_and_code_spans():
    text = (
        "## 10. Equations in the code\n\nintro\n\n"
        "| equation | file | function | code |\n|---|---|---|---|\n"
        "| (E1) x | skbackprop/_a.py | f | `y = a \\| b` |\n\nafter\n"
    )
    assert mapping_rows(text) == [("(E1) x", "skbackprop/_a.py", "f", "y = a | b")]
