"""Signatures made for a registry the deployment replaced (docs/proof-rules.md section 12.4).

An event is signed for the registry in use when it is signed; when that registry vanishes from
a development chain (or an upgrade retires it) the event is anchored again on the successor.
Its signature then names the old registry's domain: it verifies when the successor's record
lists that registry as replaced and the registry holding the anchor records the recovered key
for the organisation, and never for an address the record does not list. The server, the
offline verifier and the deployment records that feed them are checked here on the in-process
chain against the real registry.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.chain import ChainClient
from backend.chain import deployment as deployments
from backend.runtime import Runtime
from backend.services.accounts import org_keys
from backend.services.verification.offline import BundleResult, check_bundle
from backend.services.verification.offline_trust import TrustedRegistry, trusted_registry
from tests.support.ledger_flow import anchor_everything
from tests.verification.test_proof_bundle import ClientRegistry
from tests.verification.test_signed_events import (  # noqa: F401 (fixtures)
    LOT,
    custodial_account,
    event_entry,
    forge_note,
    lot,
    offline_codes,
    org_row,
    settings_overrides,
    verification,
)

#: A registry this deployment replaced (it vanished from the chain: nothing is read there).
REPLACED = "0x00000000000000000000000000000000DeaDBeef"
#: An address no record lists: a signature made for it is a replay from elsewhere.
UNRELATED = "0x1111111111111111111111111111111111111111"


def list_as_replaced(runtime: Runtime, *addresses: str) -> ChainClient:
    """Make the record of the registry in use list ``addresses`` under ``replaces``, as the
    runtime writes it after redeploying a vanished registry."""
    chain = runtime.chain
    assert chain is not None and chain.last_deployment is not None
    replaces = deployments.distinct(addresses)
    chain.last_deployment = replace(chain.last_deployment, replaces=replaces)
    return chain


def offline_check(
    runtime: Runtime, client: TestClient, *, replaces: tuple[str, ...] = ()
) -> BundleResult:
    """``verify-proof``'s check of the lot, trusting the registry in use and ``replaces``."""
    chain = runtime.chain
    assert chain is not None and chain.contract_address is not None
    bundle = client.get(f"/api/v1/lots/{LOT}/proof").json()
    trusted = TrustedRegistry(chain.contract_address, "record", replaces=replaces)
    return check_bundle(bundle, lambda address: ClientRegistry(chain, address), contract=trusted)


@pytest.mark.usefixtures("lot")
def test_an_event_signed_for_a_replaced_registry_verifies(
    runtime: Runtime, client: TestClient
) -> None:
    list_as_replaced(runtime, REPLACED)
    htx = custodial_account(runtime, "htx")
    signed = forge_note(
        runtime, signed_by=htx, signer_column=htx.address, verifying_contract=REPLACED
    )
    anchor_everything(runtime)

    body = verification(client)
    entry = event_entry(body, signed)

    assert (entry["verdict"], body["verdict"]) == ("verified", "verified")
    assert entry["signer"] == {
        "address": htx.address,
        "org": "htx",
        "custody": "custodial",
        "confirmed": True,
    }
    assert offline_check(runtime, client, replaces=(REPLACED,)).exit_code == 0
    unlisted = offline_check(runtime, client)  # an auditor whose record lists no such registry
    assert unlisted.exit_code == 1 and offline_codes(unlisted, signed) == ["proof_signer_foreign"]


@pytest.mark.usefixtures("lot")
def test_a_signature_for_a_registry_no_record_lists_never_verifies(
    runtime: Runtime, client: TestClient
) -> None:
    list_as_replaced(runtime, REPLACED)
    htx = custodial_account(runtime, "htx")
    replayed = forge_note(
        runtime, signed_by=htx, signer_column=htx.address, verifying_contract=UNRELATED
    )
    anchor_everything(runtime)

    entry = event_entry(verification(client), replayed)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_foreign")
    assert entry["signer"]["address"] != htx.address and entry["signer"]["confirmed"] is False
    result = offline_check(runtime, client, replaces=(REPLACED,))
    assert result.exit_code == 1 and offline_codes(result, replayed) == ["proof_signer_foreign"]


@pytest.mark.usefixtures("lot")
def test_a_replaced_domain_lends_no_standing_to_another_organisations_key(
    runtime: Runtime, client: TestClient
) -> None:
    list_as_replaced(runtime, REPLACED)
    other = custodial_account(runtime, "htx2")  # active on chain, but for HTX2
    forged = forge_note(
        runtime,
        signed_by=other,
        signer_column=custodial_account(runtime, "htx").address,
        verifying_contract=REPLACED,
    )
    anchor_everything(runtime)

    entry = event_entry(verification(client), forged)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_foreign")
    result = offline_check(runtime, client, replaces=(REPLACED,))
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_signer_foreign"]


@pytest.mark.usefixtures("lot")
def test_a_key_known_only_under_a_replaced_domain_is_still_judged_by_its_record(
    runtime: Runtime, client: TestClient
) -> None:
    """Recovered under a replaced domain, a key the anchoring registry revoked before the
    anchor is reported as revoked, not as a stranger."""
    list_as_replaced(runtime, REPLACED)
    old = custodial_account(runtime, "htx")
    with Session(runtime.engine) as session:
        htx = org_row(session, "htx")
        new = org_keys.create_custodial_key(session, htx, runtime.settings)
        org_keys.revoke_key(session, htx, address=old.address)
        session.commit()
        new_address = new.address
    anchor_everything(runtime)
    forged = forge_note(
        runtime, signed_by=old, signer_column=new_address, verifying_contract=REPLACED
    )
    anchor_everything(runtime)

    entry = event_entry(verification(client), forged)

    assert (entry["verdict"], entry["reason_code"]) == ("tampered", "tampered_signer_revoked")
    assert entry["signer"]["address"] == old.address
    result = offline_check(runtime, client, replaces=(REPLACED,))
    assert result.exit_code == 1 and offline_codes(result, forged) == ["proof_signer_revoked"]


# ----------------------------------------------------------------- the deployment records


@pytest.fixture
def signer() -> LocalAccount:
    return cast(LocalAccount, Account.create())


@pytest.fixture
def fresh_chain(signer: LocalAccount) -> ChainClient:
    return ChainClient.in_memory(signer)


def remembered(chain: ChainClient, tmp_path: Path, **fields: Any) -> Path:
    """A data folder remembering a registry at ``REPLACED`` (no code there: it vanished)."""
    path = chain.remember_file(tmp_path)
    record = deployments.Deployment(chain_id=chain.chain_id, address=REPLACED, block_number=0)
    deployments.write_deployment(path, replace(record, **fields))
    return path


def test_a_registry_redeployed_in_place_of_a_vanished_one_lists_it_as_replaced(
    fresh_chain: ChainClient, tmp_path: Path
) -> None:
    path = remembered(fresh_chain, tmp_path, replaces=(UNRELATED,))

    new = fresh_chain.ensure_registry(remember_file=path)

    record = deployments.read_deployment(path, fresh_chain.chain_id)
    assert record is not None and record.address == new != REPLACED
    assert record.replaces == (UNRELATED, deployments.distinct([REPLACED])[0])
    assert record.retired == ()  # nothing to read there: anchor and recall lookups ignore it
    assert fresh_chain.replaced_registries == record.replaces
    assert fresh_chain.legacy_registries == ()
    trusted = trusted_registry(fresh_chain.chain_id, contract=None, data_dir=tmp_path)
    assert trusted is not None and trusted.retired == ()
    assert trusted.replaced == list(record.replaces)


def test_a_client_attaching_to_the_remembered_registry_knows_what_it_replaced(
    fresh_chain: ChainClient, signer: LocalAccount, tmp_path: Path
) -> None:
    path = remembered(fresh_chain, tmp_path)
    fresh_chain.ensure_registry(remember_file=path)
    restarted = ChainClient(fresh_chain.w3, signer, endpoint=fresh_chain.endpoint)

    restarted.ensure_registry(remember_file=path)

    assert restarted.contract_address == fresh_chain.contract_address
    assert restarted.replaced_registries == deployments.distinct([REPLACED])


def test_a_record_without_replaces_reads_as_before_and_a_bad_one_is_refused(
    fresh_chain: ChainClient, tmp_path: Path
) -> None:
    path = remembered(fresh_chain, tmp_path)
    assert "replaces" not in path.read_text(encoding="utf-8")
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            '"block_number"', '"replaces": ["0x12"], "block_number"'
        ),
        encoding="utf-8",
    )
    assert deployments.read_deployment(path, fresh_chain.chain_id) is None
