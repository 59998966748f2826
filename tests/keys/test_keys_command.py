"""``sentrace keys list|add|revoke``: how an operator gives an organisation its keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from sqlmodel import Session
from typer.testing import CliRunner

from backend.cli import app as cli
from backend.config import get_settings
from backend.models import Organisation, OrgRole
from backend.runtime import Runtime
from tests.support.app import make_settings


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    url = f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    runtime = Runtime.create(make_settings(tmp_path / "data", url))
    with Session(runtime.engine) as session:
        session.add(Organisation(slug="htx", name="HTX", role=OrgRole.COOPERATIVE))
        session.commit()
    runtime.close()
    monkeypatch.setenv("SENTRACE_DATABASE_URL", url)
    monkeypatch.setenv("SENTRACE_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_keys_are_added_listed_and_revoked(ledger: Path) -> None:
    assert _run("keys", "list", "--org", "htx") == (
        0,
        "Tổ chức htx chưa có khóa ký / Organisation htx has no signing key\n",
    )
    code, out = _run("keys", "add", "--org", "htx")  # custodial by default
    assert code == 0 and "(custodial)" in out
    client = Account.create().address
    code, out = _run("keys", "add", "--org", "htx", "--custody", "client", "--address", client)
    assert code == 0 and client in out
    code, out = _run("keys", "list", "--org", "htx")
    lines = out.splitlines()
    assert len(lines) == 2 and "custodial" in lines[0] and lines[1].startswith(client)
    assert all(line.endswith("pending") for line in lines)
    code, out = _run("keys", "revoke", "--org", "htx", "--address", client)
    assert code == 0
    assert _run("keys", "list", "--org", "htx")[1].splitlines()[1].endswith("revoked")


def test_refusals_name_what_is_wrong(ledger: Path) -> None:
    code, out = _run("keys", "add", "--org", "htx", "--custody", "client", "--address", "0x12")
    assert code == 1 and "(address)" in out
    code, out = _run("keys", "add", "--org", "nobody")
    assert code == 1 and "nobody" in out
    code, _ = _run("keys", "add", "--org", "htx", "--custody", "browser")
    assert code == 2
