"""The house: layers only point down, and each domain imports only what its package allows.

``api/``, ``web/`` and the command line sit on top; below them ``http/`` (helpers both of them
share), then ``services/`` (domain logic), then ``chain/``, ``hashing/``, ``i18n/`` and the
models. An import that points up (a service reaching for a page, a page for a router) is what
makes a refactor of the upper layer break the lower one, so this test walks every module's
imports with :mod:`ast` (function-level imports included) and names each one that breaks a rule.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Everything that serves requests or runs the process: nothing below may import these.
TOP = (
    "backend.api",
    "backend.web",
    "backend.http",
    "backend.cli",
    "backend.cli_operator",
    "backend.app",
    "backend.deps",
    "backend.runtime",
    "backend.middleware",
    "backend.web_workers",
    "backend.demo",
    "backend.schemas",
)
SERVICES = ("backend.services",)
FOUNDATION = ("backend.chain", "backend.hashing", "backend.i18n")
DOMAINS = ("accounts", "catalog", "ledger", "labels", "anchoring", "verification")


@dataclass(frozen=True)
class Rule:
    """Modules under ``importer`` may not import anything under ``forbidden``."""

    importer: tuple[str, ...]
    forbidden: tuple[str, ...]


def _domain(name: str) -> str:
    return f"backend.services.{name}"


def _others(*allowed: str) -> tuple[str, ...]:
    return tuple(_domain(d) for d in DOMAINS if d not in allowed)


RULES = (
    Rule(SERVICES + FOUNDATION + ("backend.models", "backend.config", "backend.errors"), TOP),
    Rule(FOUNDATION, SERVICES),
    Rule(("backend.hashing", "backend.i18n"), ("backend.chain",)),
    Rule(("backend.web",), ("backend.api",)),
    Rule(("backend.api",), ("backend.web",)),
    Rule((_domain("accounts"),), _others("accounts")),
    Rule((_domain("catalog"),), _others("catalog", "accounts")),
    Rule((_domain("ledger"),), _others("ledger", "accounts", "catalog")),
    Rule((_domain("labels"),), _others("labels", "ledger", "accounts", "catalog")),
    Rule((_domain("anchoring"),), _others("anchoring")),
    Rule((_domain("verification"),), _others("verification", "anchoring", "ledger")),
)


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with its line (``from x import y`` gives both
    ``x`` and ``x.y``, since ``y`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def upward_imports(root: Path) -> list[str]:
    """``file:line imports module (rule)`` for every import under ``root/backend`` that breaks
    a rule; migrations are exempt (they are frozen history)."""
    problems: list[str] = []
    for path in sorted((root / "backend").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = module_name(path, root)
        reported: set[int] = set()
        for line, target in imported_modules(path, module):
            if line in reported:
                continue
            if any(_under(module, r.importer) and _under(target, r.forbidden) for r in RULES):
                reported.add(line)
                where = f"{path.relative_to(root)}:{line}"
                problems.append(f"{where} imports {target} ({module} may not import it)")
    return problems


def test_no_module_imports_a_layer_above_it() -> None:
    assert upward_imports(ROOT) == []


@pytest.mark.parametrize(
    ("file", "source", "named"),
    [
        ("backend/services/ledger/x.py", "from backend.web import i18n\n", "backend.web"),
        ("backend/services/ledger/x.py", "def f():\n    import backend.api.lots\n", "backend.api"),
        ("backend/web/x.py", "from backend.api.verification import chain_view\n", "backend.api"),
        ("backend/hashing/x.py", "from backend.services import validation\n", "backend.services"),
        ("backend/services/ledger/x.py", "from ..anchoring import worker\n", "anchoring"),
        ("backend/services/accounts/x.py", "from backend.services.ledger import lots\n", "ledger"),
    ],
)
def test_a_deliberate_upward_import_is_named(
    tmp_path: Path, file: str, source: str, named: str
) -> None:
    target = tmp_path / file
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    problems = upward_imports(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{file}:")
    assert named in problems[0]


def test_a_downward_import_is_fine(tmp_path: Path) -> None:
    target = tmp_path / "backend/api/x.py"
    target.parent.mkdir(parents=True)
    target.write_text("from backend.services.ledger import lots\nimport backend.hashing\n")
    assert upward_imports(tmp_path) == []


def test_no_source_file_is_over_400_lines() -> None:
    big = []
    for base in ("backend", "qr"):
        for path in (ROOT / base).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > 400:
                big.append(f"{path.relative_to(ROOT)} ({lines})")
    assert big == []
