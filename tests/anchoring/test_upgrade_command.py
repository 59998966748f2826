"""``sentrace upgrade`` as an operator runs it: on a data folder of the previous release, on a
real anvil, then the server's restart and an auditor's ``verify-proof`` of a lot recorded
before it; and with the chain out of reach."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from backend.chain import ManagedAnvil
from backend.chain.artifacts import legacy_registry_artifact
from backend.chain.deployment import (
    BuildFacts,
    Deployment,
    RetiredRegistry,
    read_deployment,
    remember_file,
    write_deployment,
)
from backend.chain.legacy import Retired, read_retired
from backend.chain.providers import http_web3
from backend.cli import app as cli
from backend.config import get_settings
from backend.i18n.messages import message
from backend.runtime import Runtime
from backend.services.verification.engine import verify_lot
from backend.services.verification.proof_bundle import build_bundle
from backend.services.verification.verdicts import Finding, Verdict
from tests.anchoring.upgrade_support import PreviousRelease, database_at_0002, deploy_v1
from tests.support.ledger_flow import execute


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The data folder the command line's settings point at (its SQLite database included)."""
    data = tmp_path / "data"
    monkeypatch.setenv("SENTRACE_DATA_DIR", str(data))
    monkeypatch.setenv("SENTRACE_WORKER_ENABLED", "false")
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def _upgrade() -> tuple[int, dict[str, Any], str]:
    """Run ``sentrace upgrade``: exit code, its JSON report and its last line."""
    result = CliRunner().invoke(cli, ["upgrade"])
    text = result.stdout
    if result.exit_code != 0:
        return result.exit_code, {}, result.output
    report = json.loads(text[text.index("{") : text.rindex("}") + 1])
    return result.exit_code, report, text.strip().splitlines()[-1]


def test_the_upgrade_stops_with_a_clear_message_when_the_chain_cannot_be_reached(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("SENTRACE_CHAIN_RPC_URL", url)
    get_settings.cache_clear()

    code, _, output = _upgrade()

    assert code == 1
    expected = message("cli.upgrade.failed", tail=f"chain node at {url} is not answering")
    assert expected in output


@pytest.mark.anvil
def test_a_previous_release_data_folder_upgrades_and_the_restarted_server_proves_its_lots(
    data_dir: Path, anvil_node: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = http_web3(anvil_node.url)
    registry = deploy_v1(w3)
    engine = database_at_0002(f"sqlite:///{(data_dir / 'sentrace.db').as_posix()}")
    previous = PreviousRelease(engine, registry)
    previous.lot("LO-A")
    ids = []
    for text in ("Thu hoạch", "Đóng gói"):  # each alone in its batch
        ids.append(previous.event("LO-A", text))
        previous.batch()
    engine.dispose()
    chain_id = int(w3.eth.chain_id)
    record = remember_file(data_dir, chain_id)
    write_deployment(record, Deployment(chain_id, registry.address, 0))
    # The servers were configured with the old registry's address, as docs/deploy.md says.
    monkeypatch.setenv("SENTRACE_CHAIN_RPC_URL", anvil_node.url)
    monkeypatch.setenv("SENTRACE_CONTRACT_ADDRESS", registry.address)
    get_settings.cache_clear()

    code, report, last = _upgrade()

    assert code == 0, last
    assert last == message("cli.upgrade.done")
    assert report["retired"] == [registry.address]
    assert report["registry"] == report["deployed"] != registry.address
    assert report["lots_sealed"] == 1
    assert [s["status"] for s in report["sealing_batches"]] == ["confirmed"]
    remembered = read_deployment(record, chain_id)
    assert remembered is not None and remembered.address == report["registry"]
    assert read_retired(record) == (Retired(registry.address, 0),)

    again, second, last = _upgrade()
    assert (again, second["changed"], last) == (0, False, message("cli.upgrade.nothing_to_do"))

    runtime = Runtime.start(get_settings(), start_worker=False)  # still names the old address
    try:
        assert runtime.require_chain().contract_address == report["registry"]
        assert _verdict(runtime, "LO-A") == "verified"
        execute(runtime.engine, "DELETE FROM event WHERE id = :id", id=ids[-1])
        assert _verdict(runtime, "LO-A") == "tampered"
    finally:
        runtime.close()


def _verdict(runtime: Runtime, code: str) -> str:
    with Session(runtime.engine) as session:
        result = verify_lot(session, code=code, view=runtime.chain_view())
    assert result is not None
    return str(result.verdict)


@pytest.mark.anvil
def test_a_lot_recorded_before_the_upgrade_verifies_offline_from_the_deployment_record_alone(
    data_dir: Path, anvil_node: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = http_web3(anvil_node.url)
    registry = deploy_v1(w3)
    engine = database_at_0002(f"sqlite:///{(data_dir / 'sentrace.db').as_posix()}")
    previous = PreviousRelease(engine, registry)
    previous.lot("LO-A")
    previous.lot("LO-R")
    for text in ("Thu hoạch", "Đóng gói"):  # anchored on the v1 registry, each in its batch
        previous.event("LO-A", text)
        previous.batch()
    previous.event("LO-R", "Thu hoạch")
    previous.batch()
    previous.recall_on_chain("LO-R")  # on the v1 registry only: the database never knew
    previous.event("LO-A", "Bán lẻ")  # pending at the upgrade: anchored on the new registry
    engine.dispose()
    chain_id = int(w3.eth.chain_id)
    record = remember_file(data_dir, chain_id)
    build = BuildFacts.of(legacy_registry_artifact())
    write_deployment(record, Deployment(chain_id, registry.address, 0, contract=build))
    monkeypatch.setenv("SENTRACE_CHAIN_RPC_URL", anvil_node.url)
    get_settings.cache_clear()

    code, report, last = _upgrade()

    assert code == 0, last
    new = report["registry"]
    remembered = read_deployment(record, chain_id)
    assert remembered is not None and remembered.address == new
    assert remembered.retired == (
        RetiredRegistry(
            registry.address, 0, retired_at_block=remembered.block_number, contract=build
        ),
    )
    runtime = Runtime.start(get_settings(), start_worker=False)
    try:
        bundles = {lot: _bundle(runtime, lot, data_dir) for lot in ("LO-A", "LO-R")}
    finally:
        runtime.close()

    def verify(lot: str, *options: str) -> tuple[int, str]:
        args = ["verify-proof", str(bundles[lot]), "--rpc", anvil_node.url, *options]
        result = CliRunner().invoke(cli, args)
        return result.exit_code, result.output

    # The deployment record alone: LO-A's first two events are checked on the retired registry,
    # its third on the new one.
    assert len(json.loads(bundles["LO-A"].read_text(encoding="utf-8"))["events"]) == 3
    code, output = verify("LO-A", "--data-dir", str(data_dir))
    assert code == 0, output
    assert message("proof_report.retired", tail=registry.address) in output
    # The recall made on the retired registry counts, though the bundle does not show it.
    code, output = verify("LO-R", "--data-dir", str(data_dir))
    hidden = Finding(Verdict.TAMPERED, "proof_recall_hidden", {"lot": "LO-R"})
    assert code == 1 and hidden.text("en") in output, output
    # By hand: one registry alone proves only its part; both, the registry in use first, all.
    assert verify("LO-A", "--contract", new)[0] == 1
    assert verify("LO-A", "--contract", registry.address)[0] == 1
    code, output = verify("LO-A", "--contract", new, "--contract", registry.address)
    assert code == 0, output


def _bundle(runtime: Runtime, lot: str, folder: Path) -> Path:
    """The lot's proof bundle as the server gives it, written where an auditor keeps it."""
    with Session(runtime.engine) as session:
        bundle = build_bundle(session, code=lot, view=runtime.chain_view())
    assert bundle is not None
    path = folder / f"{lot}.proof.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path
