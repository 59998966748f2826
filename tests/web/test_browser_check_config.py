"""What the lot page offers the browser check: endpoints, registry, and the page's CSP.

The registry comes from the deployment record (the data folder's for a development chain, as
``sentrace verify-proof --data-dir`` reads it), the endpoints from ``SENTRACE_PUBLIC_RPC_URLS``
or, outside production, the server's own node on loopback; production without endpoints offers
no check at all, so its pages keep the strict policy of every consumer page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from backend.chain.deployment import Deployment, RetiredRegistry, remember_file, write_deployment
from backend.config import Environment, Settings
from backend.i18n import translator
from backend.web.consumer.browser_check import (
    BrowserCheck,
    browser_check,
    content_security_policy,
)
from backend.web.consumer.page_request import CONTENT_SECURITY_POLICY

REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OLD_REGISTRY = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
ANVIL = "http://127.0.0.1:8545"


@dataclass(frozen=True)
class View:
    """The one thing ``browser_check`` asks of the chain view: the chain it is on."""

    chain_id: int | None = 31337


def _settings(tmp_path: Path, **values: Any) -> Settings:
    values.setdefault("env", Environment.TEST)
    return Settings(data_dir=tmp_path, chain_rpc_url=ANVIL, **values)


def _record(tmp_path: Path) -> None:
    retired = (RetiredRegistry(address=OLD_REGISTRY, block_number=1),)  # type: ignore[arg-type]
    deployment = Deployment(chain_id=31337, address=REGISTRY, block_number=3, retired=retired)  # type: ignore[arg-type]
    write_deployment(remember_file(tmp_path, 31337), deployment)


def test_the_registry_and_retired_ones_come_from_the_deployment_record(tmp_path: Path) -> None:
    _record(tmp_path)
    settings = _settings(
        tmp_path,
        public_rpc_urls="https://rpc.example.vn/v1, https://backup.example.org:8443",
        contract_address="0x" + "11" * 20,  # the record wins over the configured address
    )

    check = browser_check(settings, View(), ANVIL)  # type: ignore[arg-type]

    assert check == BrowserCheck(
        rpc_urls=("https://rpc.example.vn/v1", "https://backup.example.org:8443"),
        chain_id=31337,
        contract=REGISTRY,
        retired=(OLD_REGISTRY,),
        confirmations=1,
    )
    assert check.origins == ("https://rpc.example.vn", "https://backup.example.org:8443")


def test_the_page_policy_allows_exactly_the_rpc_origins_and_scripts_from_self(
    tmp_path: Path,
) -> None:
    _record(tmp_path)
    urls = "https://rpc.example.vn/v1,https://user:secret@rpc.example.vn/v2"
    check = browser_check(_settings(tmp_path, public_rpc_urls=urls), View(), None)  # type: ignore[arg-type]

    policy = content_security_policy(CONTENT_SECURITY_POLICY, check)

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["connect-src"] == "'self' https://rpc.example.vn"
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'" and directives["form-action"] == "'none'"
    assert "secret" not in policy
    assert content_security_policy(CONTENT_SECURITY_POLICY, None) == CONTENT_SECURITY_POLICY


def test_outside_production_the_servers_own_loopback_node_is_the_default(tmp_path: Path) -> None:
    _record(tmp_path)
    settings = _settings(tmp_path)

    assert browser_check(settings, View(), ANVIL).rpc_urls == (ANVIL,)  # type: ignore[arg-type, union-attr]
    assert browser_check(settings, View(), "http://localhost:8545") is not None  # type: ignore[arg-type]
    # A node elsewhere is not one a phone is known to reach, nor is the in-process chain.
    assert browser_check(settings, View(), "https://node.example.vn") is None  # type: ignore[arg-type]
    assert browser_check(settings, View(), "memory") is None  # type: ignore[arg-type]


def test_production_without_public_endpoints_offers_no_browser_check(tmp_path: Path) -> None:
    _record(tmp_path)
    settings = _settings(tmp_path).model_copy(update={"env": Environment.PRODUCTION})

    assert browser_check(settings, View(), ANVIL) is None  # type: ignore[arg-type]


def test_without_a_record_or_a_chain_there_is_no_check_unless_an_address_is_configured(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, public_rpc_urls=ANVIL)

    assert browser_check(settings, View(), None) is None  # type: ignore[arg-type]
    assert browser_check(settings, View(chain_id=None), None) is None  # type: ignore[arg-type]
    configured = settings.model_copy(update={"contract_address": REGISTRY})
    assert browser_check(configured, View(), None).contract == REGISTRY  # type: ignore[arg-type, union-attr]


@pytest.mark.parametrize("bad", ["ftp://rpc.example.vn", "rpc.example.vn", "https://"])
def test_settings_refuse_an_endpoint_that_is_not_a_web_url(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValidationError, match="SENTRACE_PUBLIC_RPC_URLS"):
        _settings(tmp_path, public_rpc_urls=f"{ANVIL},{bad}")


def test_the_page_config_carries_the_texts_in_the_pages_language(tmp_path: Path) -> None:
    _record(tmp_path)
    check = browser_check(_settings(tmp_path), View(), ANVIL)  # type: ignore[arg-type]
    assert check is not None

    vi = check.page_config(code="DT/XOÀI 01", server_verdict="verified", t=translator("vi"))
    en = check.page_config(code="DT/XOÀI 01", server_verdict="verified", t=translator("en"))

    assert vi["proof_url"] == "/api/v1/lots/DT%2FXO%C3%80I%2001/proof"
    assert vi["messages"]["heading"] == "Đã kiểm tra trên điện thoại của bạn"
    assert en["messages"]["heading"] == "Checked on your phone"
    assert vi["verdicts"]["tampered"] == "Dữ liệu bị thay đổi"
    assert all(not text.startswith("browser_check.") for text in vi["messages"].values())
