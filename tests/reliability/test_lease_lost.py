"""The server loses the sender lock in the middle of a pass, and another sender takes over.

A PostgreSQL advisory lock dies with its connection while the process that took it goes on
(a failover, a proxy cutting idle connections). Here the server's anchoring pass is stopped
right after it acquired the sender lease (the test holds a table lock its next read waits for),
the connection holding its advisory lock is terminated, and once its lease has expired a
second sender acquires the lease. Then the server's pass is let go: it still believes it
holds the lock, and finds work to send (the milestone of a lot written meanwhile). Afterwards
this test's own anchoring service, on the same database and key, anchors everything.

The fence must stop it: nothing is stored under the old token after the takeover, the server
says its pass stopped, and on chain every root is anchored once, every milestone recorded
once, and no transaction of the anchoring key reverted.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.models import BatchStatus, ChainAction, SenderLease, SentTx
from backend.runtime import Runtime
from backend.services.anchoring.lease import acquire
from backend.timeutil import utcnow
from tests.reliability.live import (
    LiveLedger,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    wait_for,
)
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.app import make_settings
from tests.support.killable import KillableStack

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]

LEASE_S = 2.0


def lease(engine: Engine) -> SenderLease | None:
    with Session(engine) as session:
        return session.exec(select(SenderLease)).first()


def holds_the_lease(engine: Engine) -> bool:
    """Whether a pass holds the sender lease now (a pass lets it expire at once when done)."""
    now = lease(engine)
    return now is not None and now.expires_at > utcnow()


def waiting_on_a_lock(engine: Engine, table: str) -> bool:
    """Whether some other backend's query on ``table`` waits for a lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND query ILIKE :table AND pid <> pg_backend_pid()"
    )
    with engine.connect() as connection:
        return bool(connection.execute(query, {"table": f"%{table}%"}).scalar())


def terminate_advisory_lock_holders(engine: Engine) -> int:
    """Cut the connections holding an advisory lock: their locks go with them."""
    query = text(
        "SELECT pg_terminate_backend(pid) FROM pg_locks "
        "WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
    )
    with engine.connect() as connection:
        return len(connection.execute(query).all())


def stored_under(engine: Engine, token: int, after_id: int) -> list[SentTx]:
    with Session(engine) as session:
        statement = select(SentTx).where(col(SentTx.id) > after_id)
        return [r for r in session.exec(statement).all() if r.lease_token == token]


def open_actions(engine: Engine) -> list[ChainAction]:
    with Session(engine) as session:
        rows = session.exec(select(ChainAction)).all()
        return [a for a in rows if a.status is not BatchStatus.CONFIRMED]


def last_sent_id(engine: Engine) -> int:
    with Session(engine) as session:
        ids = session.exec(select(SentTx.id)).all()
        return max((i for i in ids if i is not None), default=0)


def test_a_pass_that_lost_its_lock_and_lease_sends_nothing_more(
    tmp_path: Path,
    postgres_url: str,
    engine: Engine,
    killable: KillableStack,
    rpc_proxy: RpcProxy,
) -> None:
    killable.start_server(
        database_url=postgres_url, chain_rpc_url=rpc_proxy.url, sender_lease_s=LEASE_S
    )
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        ledger.harvest("LOT-TRUOC")
        wait_for(lambda: everything_confirmed(engine, ledger.accepted), timeout=90, what="warm-up")
        # ... and the pass that sent the last of it (the signing keys, the milestone) is over:
        # the table lock below must catch a new pass, not one still confirming the warm-up.
        wait_for(lambda: not open_actions(engine), timeout=60, what="warm-up milestones")
        wait_for(lambda: not holds_the_lease(engine), timeout=30, what="warm-up pass ending")
        address = ledger.contract_address()
        before = last_sent_id(engine)
        seen = lease(engine)
        assert seen is not None

        # Stop the server's next pass right after it acquired the lease: its first read of
        # the stored transactions waits for this table lock.
        blocker = engine.connect()
        blocker.execute(text("LOCK TABLE senttx IN ACCESS EXCLUSIVE MODE"))
        old = wait_for(
            lambda: (now := lease(engine)) and now.token > seen.token and now,
            timeout=30,
            what="the server's pass acquiring the lease",
        )
        wait_for(lambda: waiting_on_a_lock(engine, "senttx"), timeout=30, what="the pass held")

        ledger.harvest("LOT-SAU")  # a batch and a milestone the held pass would send
        ledger.note("LOT-SAU", "viết trong lúc bị giữ")
        assert terminate_advisory_lock_holders(engine) >= 1  # the lock dies, the pass goes on

        threading.Event().wait(LEASE_S + 0.5)  # the held pass's lease expires meanwhile
        taken = acquire(engine, "another-sender", LEASE_S)  # another process takes over
        assert taken is not None and taken.token > old.token
        blocker.commit()  # the held pass goes on, still believing it holds the lock
        blocker.close()
        wait_for(
            lambda: "is no longer held" in killable.server.log_text(),
            timeout=30,
            what="the held pass stopping at the fence",
        )

        # The one who took over (here this test's own service, once that lease has run out)
        # anchors everything.
        settings = make_settings(
            tmp_path / "second",
            postgres_url,
            chain_rpc_url=killable.anvil.url,
            contract_address=address,
            sender_lease_s=LEASE_S,
        )
        second = Runtime.start(settings, start_worker=False)
        try:
            for _ in range(60):
                if everything_confirmed(engine, ledger.accepted) and not open_actions(engine):
                    break
                second.anchoring.run_once(force=True, wait=True)
                threading.Event().wait(0.2)
            assert everything_confirmed(engine, ledger.accepted) and not open_actions(engine)
        finally:
            second.close()

        # Nothing stored (so nothing signed and sent) under the old token after the takeover.
        assert stored_under(engine, old.token, before) == []

        chain = registry_client(killable.anvil, address)
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        registry = chain.w3.eth.contract(address=chain.contract_address, abi=chain.artifact.abi)
        recorded = registry.events.LotEventRecorded().get_logs(from_block=0)
        per_milestone = Counter(
            (bytes(log["args"]["lotKey"]), bytes(log["args"]["eventHash"])) for log in recorded
        )
        assert len(per_milestone) == 2 and set(per_milestone.values()) == {1}
        w3 = chain.w3
        for number in range(w3.eth.block_number + 1):
            for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])  # type: ignore[index]
                assert receipt["status"] == 1, f"{tx['hash'].to_0x_hex()} reverted"  # type: ignore[index]
        assert ledger.verdict("LOT-SAU")["verdict"] == "verified"
