"""A web worker's runtime (``follower=True``) leaves migrations, anvil and deployment to its parent.

Real anvil, real SQLite file: a follower started before its leader deploys nothing and waits;
once the leader has deployed, the follower's chain keeper attaches it to the same registry by
itself. A follower never starts a managed anvil, and never touches the schema.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import inspect

from backend.chain import ChainUnavailable, ManagedAnvil
from backend.config import Settings
from backend.runtime import Runtime
from tests.support.anvil import demo_client
from tests.support.app import make_settings


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    data = tmp_path / "data"
    return make_settings(data, f"sqlite:///{data / 'sentrace.db'}", **overrides)


@pytest.mark.anvil
def test_a_follower_waits_for_the_leaders_registry_and_then_attaches_to_it(
    tmp_path: Path, anvil_node: ManagedAnvil
) -> None:
    settings = _settings(tmp_path, chain_rpc_url=anvil_node.url, worker_poll_s=0.1)
    signer = demo_client(anvil_node)
    follower = Runtime.start(settings, start_worker=False, follower=True)
    try:
        assert follower.chain is None
        assert follower.keeper is not None and follower.keeper.running
        assert signer.w3.eth.get_transaction_count(signer.signer) == 0  # nothing deployed
        leader = Runtime.start(settings, start_worker=False)
        try:
            assert leader.chain is not None
            deadline = time.monotonic() + 20
            while follower.chain is None and time.monotonic() < deadline:
                time.sleep(0.1)  # the keeper attaches on its own
            assert follower.chain is not None
            assert follower.chain.contract_address == leader.chain.contract_address
            assert signer.w3.eth.get_transaction_count(signer.signer) == 1  # one deployment
        finally:
            leader.close()
    finally:
        follower.close()
    assert not follower.keeper.running


def test_a_follower_never_starts_a_managed_anvil(tmp_path: Path) -> None:
    settings = _settings(tmp_path, chain_rpc_url=None)
    assert settings.uses_managed_anvil
    follower = Runtime.start(settings, start_worker=False, follower=True)
    try:
        assert follower.anvil is None and follower.chain is None
        with pytest.raises(ChainUnavailable, match="managed anvil is not running"):
            follower.require_chain()
        assert follower.anvil is None
    finally:
        follower.close()


def test_a_follower_leaves_the_schema_to_the_leader(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    follower = Runtime.create(settings, migrate=False)
    try:
        assert inspect(follower.engine).get_table_names() == []
    finally:
        follower.engine.dispose()
    leader = Runtime.create(settings)
    try:
        assert {"alembic_version", "event", "batch"} <= set(
            inspect(leader.engine).get_table_names()
        )
    finally:
        leader.engine.dispose()
