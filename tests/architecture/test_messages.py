"""Bilingual messages come from the catalogues, and the catalogues agree with each other.

A ``"Tiếng Việt / English"`` string written inline in a service, a router or the command line
is a wording that no catalogue knows about: it cannot be corrected in one place, and a page
cannot show one half of it. So an :mod:`ast` walk over the source names every string constant
(f-strings and implicit concatenations included, docstrings skipped) that has a Vietnamese
letter and a ``" / "`` in it; the catalogues must have the same keys and placeholders in both
languages; and every key passed to ``message(...)`` must exist.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from backend.i18n import catalogue
from backend.i18n.messages import message

ROOT = Path(__file__).resolve().parents[2]

#: Where user-facing messages must come from the catalogues (files or folders under the root).
SCOPE = (
    "backend/services",
    "backend/http",
    "backend/api",
    "backend/web",
    "backend/demo",
    "backend/errors.py",
    "backend/deps.py",
    "backend/middleware.py",
    "backend/runtime.py",
    "backend/cli.py",
    "backend/cli_operator.py",
    "backend/web_workers.py",
)
#: Latin letters with diacritics, Vietnamese ones included (đ, ư, ơ, ạ … ỹ).
VIETNAMESE = re.compile("[\u00c0-\u1ef9]")
MESSAGE_CALL = "message"


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literal_text(node: ast.AST) -> str | None:
    """A string constant's text; an f-string's text with ``{}`` where its values go."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None


def inline_messages(path: Path, root: Path) -> list[str]:
    """``file:line text`` for each bilingual literal in ``path`` outside docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):  # its pieces are judged as one string
            skipped.update(id(part) for part in node.values)
    found: list[str] = []
    for node in ast.walk(tree):
        text = None if id(node) in skipped else _literal_text(node)
        if text is not None and " / " in text and VIETNAMESE.search(text):
            found.append(f"{path.relative_to(root)}:{node.lineno} {text!r}")
    return found


def _sources(root: Path) -> list[Path]:
    paths: list[Path] = []
    for entry in SCOPE:
        where = root / entry
        paths += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    return paths


def test_no_bilingual_message_is_written_inline() -> None:
    found = [line for path in _sources(ROOT) for line in inline_messages(path, ROOT)]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'NOT_FOUND = "Không tìm thấy lô / lot not found"\n',
        'def f(n):\n    raise ValueError(f"Tối đa {n} mục / "\n    f"at most {n} items")\n',
        'x = "Chứng nhận phải là / scheme must be one of: " + ", ".join(y)\n',
    ],
)
def test_an_inline_message_is_named(tmp_path: Path, source: str) -> None:
    path = tmp_path / "x.py"
    path.write_text(source, encoding="utf-8")
    assert len(inline_messages(path, tmp_path)) == 1


def test_docstrings_and_one_language_texts_are_not_messages(tmp_path: Path) -> None:
    path = tmp_path / "x.py"
    path.write_text(
        '"""Answers ``"Không tìm thấy lô / lot not found"``."""\n'
        'def f():\n    """Tiếng Việt / English."""\n    return "Đồng Tháp", "a / b"\n',
        encoding="utf-8",
    )
    assert inline_messages(path, tmp_path) == []


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    vietnamese, english = catalogue("vi"), catalogue("en")
    assert sorted(set(vietnamese) ^ set(english)) == []
    differing = [
        key
        for key, text in vietnamese.items()
        if _placeholders(text) != _placeholders(english[key])
    ]
    assert differing == []


def _message_keys(path: Path) -> list[tuple[int, re.Pattern[str]]]:
    """The key of each ``message(...)`` call as a pattern: an f-string key such as
    ``f"proof_report.outcome.{outcome}"`` matches any key with something in place of each value."""
    keys: list[tuple[int, re.Pattern[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        text = _literal_text(node.args[0])
        if name == MESSAGE_CALL and text is not None:
            pattern = ".+".join(re.escape(part) for part in text.split("{}"))
            keys.append((node.lineno, re.compile(pattern)))
    return keys


def test_every_message_key_used_exists_in_both_languages() -> None:
    known = set(catalogue("vi")) & set(catalogue("en"))
    used = [
        (f"{path.relative_to(ROOT)}:{line}", key)
        for path in sorted((ROOT / "backend").rglob("*.py"))
        for line, key in _message_keys(path)
    ]
    assert len(used) > 50
    missing = [
        (where, key.pattern)
        for where, key in used
        if not any(key.fullmatch(name) for name in known)
    ]
    assert missing == []


def test_a_message_joins_both_halves_formats_both_and_adds_the_tail_once() -> None:
    assert message("validation.required") == "Trường này là bắt buộc / this field is required"
    assert message("validation.too_long", max_length=5) == (
        "Dài quá 5 ký tự / longer than 5 characters"
    )
    assert message("validation.unhashable", tail="{x}") == (
        "Giá trị không thể băm / value cannot be hashed: {x}"
    )
