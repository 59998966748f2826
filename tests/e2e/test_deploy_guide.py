"""The commands of docs/deploy.md that run on one machine, run for real.

PostgreSQL (a throw-away cluster), a local anvil standing in for the network, the anchor key in
an encrypted keystore, ``sentrace user create`` for the admin and a cooperative, two
``sentrace serve`` processes on the same database sharing sign-ins, records written through
both, every event anchored exactly once; then ``pg_dump`` / ``pg_restore`` into a new database
and a third process that proves the restored records against the chain and spots a row altered
in the backup.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from sqlalchemy import create_engine
from sqlmodel import Session, select
from web3 import Web3

from backend.chain.anvil import ManagedAnvil
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.hashing import canonical_bytes, read_document
from backend.models import Batch, BatchStatus, ChainAction, Event, EventType, Lot
from tests.support.anvil import start_anvil
from tests.support.app import ADMIN_TOKEN
from tests.support.components import postgres_bin_dir
from tests.support.postgres import PostgresCluster
from tests.support.server import ServerProcess, sentrace_command, server_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.anvil]

KEYSTORE_PASSWORD = "mat-khau-kho-khoa-2026"
SESSION_SECRET = "0f" * 32
KEY_ENCRYPTION_SECRET = "1e" * 32  # shared: either process unseals the cooperative's key
PASSWORD = "mat-khau-dong-thap"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOTS = [f"DT-PG-{n:02d}" for n in range(1, 7)]

ServerFactory = Callable[..., ServerProcess]


def _funded_keystore(folder: Path, rpc_url: str) -> tuple[Path, str]:
    """The guide's steps: a fresh key in an encrypted keystore, then the address funded.

    On the local chain the funds come from anvil's first development account (the demo key),
    which is exactly what a real deployment must never sign with.
    """
    account = Account.create()
    path = folder / "anchor-keystore.json"
    path.write_text(json.dumps(Account.encrypt(account.key, KEYSTORE_PASSWORD)))
    path.chmod(0o600)
    w3 = Web3(Web3.HTTPProvider(rpc_url))
    bank = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    transfer = bank.sign_transaction(
        {
            "to": account.address,
            "value": Web3.to_wei(10, "ether"),
            "gas": 21_000,
            "gasPrice": w3.eth.gas_price,
            "nonce": w3.eth.get_transaction_count(bank.address),
            "chainId": w3.eth.chain_id,
        }
    )
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(transfer.raw_transaction))
    return path, account.address


def _sentrace(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*sentrace_command(), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match
    return match.group(1)


def _sign_in(client: httpx.Client, base: str, username: str) -> None:
    token = _csrf(client.get(f"{base}/app/login").text)
    answer = client.post(
        f"{base}/app/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text


def _anchoring_state(database_url: str) -> dict[str, int]:
    """Counts that say whether everything is anchored, and anchored once."""
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            events = db.exec(select(Event)).all()
            batches = db.exec(select(Batch)).all()
            actions = db.exec(select(ChainAction)).all()
    finally:
        engine.dispose()
    confirmed = BatchStatus.CONFIRMED
    return {
        "events": len(events),
        "unbatched": sum(1 for e in events if e.batch_id is None),
        "open_batches": sum(1 for b in batches if b.status != confirmed),
        "batches": len(batches),
        "batched_events": sum(b.event_count for b in batches),
        "batch_txs": len({b.tx_hash for b in batches if b.tx_hash}),
        "open_actions": sum(1 for a in actions if a.status != confirmed),
        "actions": len(actions),
    }


def _wait_all_anchored(database_url: str) -> dict[str, int]:
    deadline = time.monotonic() + 120
    while True:
        counts = _anchoring_state(database_url)
        settled = not (counts["unbatched"] or counts["open_batches"] or counts["open_actions"])
        if settled or time.monotonic() > deadline:
            return counts
        time.sleep(0.5)


def _alter_a_quality_check(database_url: str, lot_code: str) -> None:
    """What someone with access to the backup might do: rewrite a quality check's result.

    Under rules v2 the stored canonical bytes are what is read and proved, so they are rewritten
    too (a well-formed document with only the result changed), as a careful forger would.
    """
    engine = create_engine(database_url)
    try:
        with Session(engine) as db:
            lot = db.exec(select(Lot).where(Lot.code == lot_code)).one()
            event = db.exec(
                select(Event).where(Event.lot_id == lot.id, Event.type == EventType.QUALITY_CHECK)
            ).one()
            if event.canonical is not None:
                document = read_document(bytes(event.canonical))
                document["data"] = {**document["data"], "result": "fail"}
                event.canonical = canonical_bytes(document)
            event.data = {**event.data, "result": "fail"}
            db.add(event)
            db.commit()
    finally:
        engine.dispose()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_two_processes_on_postgresql_then_a_restored_backup_is_proved(
    tmp_path: Path,
    postgres_cluster: PostgresCluster,
    server_factory: ServerFactory,
) -> None:
    anvil: ManagedAnvil = start_anvil(tmp_path / "anvil")
    database_url = postgres_cluster.create_database()
    try:
        _run_guide(tmp_path, anvil, postgres_cluster, database_url, server_factory)
    finally:
        anvil.stop()
        postgres_cluster.drop_database(database_url)


def _run_guide(
    tmp_path: Path,
    anvil: ManagedAnvil,
    cluster: PostgresCluster,
    database_url: str,
    server_factory: ServerFactory,
) -> None:
    keystore, sender = _funded_keystore(tmp_path, anvil.url)
    settings = {
        "anchor_keystore": keystore,
        "anchor_keystore_password": KEYSTORE_PASSWORD,
        "session_secret": SESSION_SECRET,
        "key_encryption_secret": KEY_ENCRYPTION_SECRET,
        "confirmations": 1,
    }
    env = server_env(
        tmp_path / "data-a", database_url=database_url, chain_rpc_url=anvil.url, **settings
    )

    # §7: the first admin from the command line.
    _sentrace(
        env, "user", "create", "--org", "admin", "--username", "quantri", "--password", PASSWORD
    )

    # §3/§5: the first process deploys the registry; the second is given its address.
    first = server_factory(env)
    ready = httpx.get(f"{first.url}/readyz", timeout=10).json()
    assert ready["status"] == "ready", ready
    address = ready["contract_address"]
    second = server_factory(
        server_env(
            tmp_path / "data-b",
            database_url=database_url,
            chain_rpc_url=anvil.url,
            contract_address=address,
            **settings,
        )
    )
    assert httpx.get(f"{second.url}/readyz", timeout=10).json()["status"] == "ready"

    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    # A cooperative whose events the server signs (custodial: the forms below come from no
    # browser holding a key), then its first user from the command line.
    coop = httpx.post(
        f"{first.url}/api/v1/orgs",
        json={"slug": "htx-xoai-my-xuong", "name": "HTX Xoài cát Chu Mỹ Xương",
              "role": "cooperative", "key_custody": "custodial"},
        headers=admin,
        timeout=10,
    )  # fmt: skip
    assert coop.status_code == 201, coop.text
    assert coop.json()["api_key"].startswith("stk_")  # the organisation's API key, shown once
    _sentrace(
        env, "user", "create", "--org", "htx-xoai-my-xuong", "--username", "xoai",
        "--password", PASSWORD,
    )  # fmt: skip
    # The admin records the cooperative's GS1 company prefix; only then may it register a
    # product with a GTIN under that prefix.
    prefix = httpx.post(
        f"{first.url}/api/v1/orgs/htx-xoai-my-xuong/gs1-prefixes",
        json={"prefix": "8936091", "licence": "GS1 Việt Nam, giấy chứng nhận 0001"},
        headers=admin,
        timeout=10,
    )
    assert prefix.status_code == 201, prefix.text
    product = httpx.post(
        f"{second.url}/api/v1/products",
        json={"code": "xoai-cat-chu", "name_vi": "Xoài cát Chu", "gtin": "8936091000013"},
        headers={"Authorization": f"Bearer {coop.json()['api_key']}"},
        timeout=10,
    )
    assert product.status_code == 201, product.text

    # Sign in on one process, keep working on the other: the session secret is shared.
    with httpx.Client(timeout=30) as browser:
        _sign_in(browser, first.url, "xoai")
        page = browser.get(f"{second.url}/app/farms")
        assert page.status_code == 200 and "HTX Xoài cát Chu Mỹ Xương" in page.text
        token = _csrf(page.text)
        farm = browser.post(
            f"{second.url}/app/farms",
            data={"csrf_token": token, "code": "MX-01", "name": "Vườn số 3", "commune": "Mỹ Xương"},
        )
        assert farm.status_code == 303, farm.text
        for index, code in enumerate(LOTS):
            server = (first, second)[index % 2]
            made = browser.post(
                f"{server.url}/app/lots/new",
                data={
                    "csrf_token": token,
                    "product": "xoai-cat-chu",
                    "farm": "MX-01",
                    "quantity": str(500 + index),
                    "unit": "kg",
                    "harvested_at": "2026-01-05T06:30",
                    "code": code,
                },
            )
            assert made.status_code == 303, made.text
            checked = browser.post(
                f"{(second, first)[index % 2].url}/app/lots/{code}/record/quality_check",
                data={"csrf_token": token, "occurred_at": "2026-01-05T09:00", "result": "pass"},
            )
            assert checked.status_code == 303, checked.text

    # Both workers ran; every event sits in exactly one confirmed batch, each batch was sent in
    # its own transaction, and the anchor account sent nothing twice.
    counts = _wait_all_anchored(database_url)
    assert counts["events"] == 2 * len(LOTS)
    assert counts["unbatched"] == counts["open_batches"] == counts["open_actions"] == 0, counts
    assert counts["batched_events"] == counts["events"]
    assert counts["batch_txs"] == counts["batches"]
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    sent = w3.eth.get_transaction_count(sender)
    assert sent == 1 + counts["batches"] + counts["actions"]  # deployment, batches, milestones
    for code in LOTS:
        verdict = httpx.get(f"{first.url}/api/v1/lots/{code}/verification", timeout=30).json()
        assert verdict["verdict"] == "verified", verdict

    # §8: back up, restore into a new database, prove the restored records against the chain.
    bin_dir = postgres_bin_dir()
    dump = tmp_path / "sentrace.dump"
    subprocess.run(
        [str(bin_dir / "pg_dump"), "--format=custom", f"--file={dump}", _libpq(database_url)],
        check=True,
        timeout=120,
    )
    restored_url = cluster.create_database()
    try:
        subprocess.run(
            [
                str(bin_dir / "pg_restore"),
                "--no-owner",
                f"--dbname={_libpq(restored_url)}",
                str(dump),
            ],
            check=True,
            timeout=120,
        )
        _alter_a_quality_check(restored_url, LOTS[0])
        auditor = server_factory(
            server_env(
                tmp_path / "data-c",
                database_url=restored_url,
                chain_rpc_url=anvil.url,
                contract_address=address,
                worker_enabled=False,
            )
        )
        verdicts = {
            code: httpx.get(f"{auditor.url}/api/v1/lots/{code}/verification", timeout=30).json()
            for code in LOTS
        }
        assert verdicts[LOTS[0]]["verdict"] == "tampered"
        assert all(verdicts[code]["verdict"] == "verified" for code in LOTS[1:]), verdicts
    finally:
        cluster.drop_database(restored_url)
    assert os.path.getsize(dump) > 0
