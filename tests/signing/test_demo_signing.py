"""The demo loader signs as a client-held client: keystores in the data folder, its own keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from sqlmodel import Session, select

from backend.config import Settings
from backend.demo import load_demo
from backend.demo.signing import KEYSTORE_PASSWORD, keystore_path
from backend.models import ChainAction, ChainActionKind, Event, Organisation, OrgKey, OrgRole
from backend.runtime import Runtime


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "data", chain_rpc_url="memory", worker_enabled=False)
    runtime = Runtime.start(settings, start_worker=False)
    try:
        load_demo(runtime, anchor=False, announce=False)
        yield runtime
    finally:
        runtime.close()


def test_demo_events_are_signed_by_keys_kept_in_the_data_folder(demo: Runtime) -> None:
    with Session(demo.engine) as session:
        orgs = {o.id: o for o in session.exec(select(Organisation)) if o.role is not OrgRole.ADMIN}
        keys = {k.org_id: k for k in session.exec(select(OrgKey))}
        events = session.exec(select(Event)).all()
        recall = session.exec(
            select(ChainAction).where(ChainAction.kind == ChainActionKind.RECALL)
        ).first()
    assert events
    for org_id, org in orgs.items():
        assert org.key_custody == "browser"  # its operators sign in the browser
        keystore = json.loads(keystore_path(demo.settings.data_dir, org.slug).read_text())
        address = Account.from_key(Account.decrypt(keystore, KEYSTORE_PASSWORD)).address
        assert keys[org_id].address == address and keys[org_id].custody == "client"
        assert keys[org_id].encrypted_key is None  # the private key is not in the database
    for event in events:
        assert event.signature and event.signer == keys[event.org_id].address
    assert (
        recall is not None
        and recall.signature
        and recall.signer in {k.address for k in keys.values()}
    )


def test_loading_again_reuses_the_keys(demo: Runtime) -> None:
    with Session(demo.engine) as session:
        before = sorted(k.address for k in session.exec(select(OrgKey)))
    load_demo(demo, anchor=False, announce=False)
    with Session(demo.engine) as session:
        assert sorted(k.address for k in session.exec(select(OrgKey))) == before
