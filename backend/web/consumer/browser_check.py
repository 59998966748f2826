"""What the lot page needs to verify the record in the consumer's own browser, and its CSP.

The page's script (``static/build/verify.js``, sources in ``assets/verify/``) fetches the lot's
proof bundle from this server and checks it against the chain over JSON-RPC. Everything it
must not take from the bundle comes from here, embedded in the page: the public RPC endpoints
(``SENTRACE_PUBLIC_RPC_URLS``), and the chain id and registry of this installation's own
deployment record (the published ``contracts/deployments/<chain-id>.json``, or the data
folder's record for a development chain: the same places ``sentrace verify-proof --data-dir``
reads), with the registries it retired and those it replaces (vanished from a development chain:
an event's signature may still name them). The page's Content-Security-Policy then lets the page
connect to exactly those RPC origins and to itself, and run scripts from itself only.

No public endpoint configured: outside production the server's own chain node is offered when
it listens on loopback (the managed anvil of a development or demo server, which a browser on
the same machine reaches); in production, or when no record names the registry, the page has
no browser check at all (no panel, no script, the strict policy of every consumer page).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from backend.config import Environment, Settings
from backend.i18n import Translator
from backend.services.verification.chain_view import ChainView
from backend.services.verification.offline_trust import trusted_registry

#: Bundle served for the check (backend/web/bundles.py) and the path it is served at.
SCRIPT_URL = "/app/static/build/verify.js"
MESSAGE_KEYS = (
    "heading", "heading_running", "heading_not_run", "intro", "result", "via", "block",
    "events", "took", "agrees", "disagrees", "not_run", "where", "where_lot",
)  # fmt: skip
WHY_KEYS = ("unreachable", "wrong_chain", "bundle", "unsupported")
REASON_KEYS = (
    "contract", "malformed", "edited", "root_absent", "head", "missing_newest", "missing",
    "added", "ancestry", "unsigned", "signature", "revoked", "later",
)  # fmt: skip
VERDICTS = ("verified", "pending", "tampered", "recalled")


@dataclass(frozen=True)
class BrowserCheck:
    """The browser check a lot page offers: where to read the chain and what to trust there."""

    rpc_urls: tuple[str, ...]
    chain_id: int
    contract: str
    retired: tuple[str, ...]
    confirmations: int
    #: Registries the one in use replaced that hold nothing any more: signature domains only.
    replaces: tuple[str, ...] = ()

    @property
    def origins(self) -> tuple[str, ...]:
        """The RPC endpoints' origins (scheme://host[:port]), each once, for ``connect-src``."""
        found = (_origin(url) for url in self.rpc_urls)
        return tuple(dict.fromkeys(origin for origin in found if origin))

    def page_config(self, *, code: str, server_verdict: str, t: Translator) -> dict[str, Any]:
        """The JSON the page embeds for its script, texts in the page's language."""
        messages = {key: t(f"browser_check.{key}") for key in MESSAGE_KEYS}
        messages |= {f"why.{key}": t(f"browser_check.why.{key}") for key in WHY_KEYS}
        messages |= {f"reason.{key}": t(f"browser_check.reason.{key}") for key in REASON_KEYS}
        return {
            "rpc_urls": list(self.rpc_urls),
            "chain_id": self.chain_id,
            "contract": self.contract,
            "retired": list(self.retired),
            "replaces": list(self.replaces),
            "confirmations": self.confirmations,
            "proof_url": f"/api/v1/lots/{quote(code, safe='')}/proof",
            "server_verdict": server_verdict,
            "verdicts": {name: t(f"consumer.verdict.{name}") for name in VERDICTS},
            "messages": messages,
        }


def browser_check(settings: Settings, view: ChainView, node_url: str | None) -> BrowserCheck | None:
    """The check this installation offers on its lot pages, or None when it offers none.

    ``node_url`` is the server's own chain node (used only as the development default).
    """
    urls = tuple(settings.public_rpc_url_list)
    if not urls and settings.env is not Environment.PRODUCTION and _on_loopback(node_url):
        urls = (str(node_url),)
    chain_id = view.chain_id
    if not urls or chain_id is None:
        return None
    trusted = trusted_registry(chain_id, contract=None, data_dir=settings.data_dir)
    if trusted is not None:
        contract, retired = trusted.address, tuple(old.address for old in trusted.retired)
        replaces = trusted.replaces
    elif settings.contract_address:
        contract, retired, replaces = settings.contract_address, (), ()
    else:
        return None
    return BrowserCheck(urls, chain_id, contract, retired, settings.confirmations, replaces)


def content_security_policy(base: str, check: BrowserCheck | None) -> str:
    """``base`` (every consumer page's policy) opened for the check: scripts from this origin,
    connections to this origin (the bundle) and to the configured RPC origins, nothing else."""
    if check is None:
        return base
    connect = " ".join(("'self'", *check.origins))
    return f"{base}; script-src 'self'; connect-src {connect}"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _on_loopback(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
