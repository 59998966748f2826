"""The long-lived parts of one SenTrace process, started and stopped together.

A ``Runtime`` owns the database engine, the chain connection (and the managed anvil node when no
RPC URL is configured), the cache of final chain facts, the anchoring service and its worker
thread. Tests build one with their own settings (``create`` with an injected chain client, or
``start`` to let the runtime make the chain from the settings); the server builds one with
``start``. Starting never requires the chain to be up: reads keep working, ``/readyz`` says
not ready, and the worker reconnects (restarting a managed anvil that died) with back-off.

A client the runtime made itself is replaced by a fresh one after any outage, so a node that
came back with fewer blocks (anvil restarted from its last state dump) is not fed nonces from
before; a registry that vanished with a reset chain is redeployed and remembered, and the
anchoring service then re-anchors every batch (reconcile).

A *follower* runtime is the one of a web worker process of ``sentrace serve --workers N``. The
serving parent has already migrated the schema, started the managed anvil and deployed (or
attached) the registry, and keeps doing so; a follower only attaches. It never migrates, never
starts an anvil (it reads the parent's endpoint file) and never deploys a registry (it waits
for the remembered one), so N processes starting together cannot race to do any of it twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend.chain import (
    ChainClient,
    ChainConfigError,
    ChainError,
    ChainUnavailable,
    ContractNotFound,
    ManagedAnvil,
    translate_errors,
)
from backend.chain.deployment import read_deployment
from backend.chain.fact_cache import ChainFactCache
from backend.chain.finality import Finality
from backend.chain.providers import http_web3
from backend.config import Settings
from backend.data_dir import ensure_data_dir
from backend.db import create_schema, make_engine
from backend.db_replicas import ReadReplicas
from backend.services.anchoring.chain_keeper import ChainKeeper
from backend.services.anchoring.lease import deployment_fence
from backend.services.anchoring.service import AnchoringService
from backend.services.anchoring.worker import AnchorWorker
from backend.services.verification.chain_view import ChainView

logger = logging.getLogger(__name__)

#: Sub-folder of the data folder where a managed anvil keeps its state and log.
ANVIL_DIR = "anvil"
#: Where the running managed anvil's URL is written, for other commands on the same data.
ANVIL_ENDPOINT_FILE = "endpoint.json"


def write_endpoint(path: Path, url: str, pid: int | None) -> None:
    path.write_text(json.dumps({"url": url, "pid": pid}) + "\n", encoding="utf-8")


def running_anvil_url(path: Path) -> str | None:
    """The URL in the endpoint file if its process is alive and the node answers there."""
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
        url, pid = str(recorded["url"]), int(recorded["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if http_web3(url, timeout=2.0).is_connected() else None


@dataclass
class Runtime:
    """Engine, chain, anchoring service and worker of one process (see module docstring)."""

    settings: Settings
    engine: Engine
    chain: ChainClient | None = None
    extras: dict[str, Any] = field(default_factory=dict)
    anvil: ManagedAnvil | None = None
    chain_cache: ChainFactCache = field(default_factory=ChainFactCache)
    worker: AnchorWorker | None = None
    owns_chain: bool = False
    follower: bool = False
    keeper: ChainKeeper | None = None
    replicas: ReadReplicas | None = None  # public reads (SENTRACE_DATABASE_REPLICA_URLS)
    _anchoring: AnchoringService | None = field(default=None, init=False, repr=False)
    _chain_lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)
    _candidate: ChainClient | None = field(default=None, init=False, repr=False)
    _reconnecting: bool = field(default=False, init=False, repr=False)
    _suspect: bool = field(default=False, init=False, repr=False)
    _last_head: int | None = field(default=None, init=False, repr=False)

    # ------------------------------------------------------------------------ building

    @classmethod
    def create(
        cls, settings: Settings, *, chain: ChainClient | None = None, migrate: bool = True
    ) -> Runtime:
        """Data folder and database only; ``chain`` (if any) is used as given, never replaced.

        ``migrate=False`` leaves the schema alone: a web worker's parent migrated it already.
        """
        ensure_data_dir(settings.data_dir)
        engine = make_engine(settings.resolved_database_url)
        if migrate:
            create_schema(engine)
        replicas = ReadReplicas.of(settings.replica_urls)
        return cls(settings=settings, engine=engine, chain=chain, replicas=replicas)

    @classmethod
    def start(
        cls,
        settings: Settings,
        *,
        chain: ChainClient | None = None,
        start_worker: bool | None = None,
        follower: bool = False,
    ) -> Runtime:
        """Everything a server needs: database, chain (made from settings unless given), worker.

        A chain node that is down does not stop the start; a missing anvil binary or a bad
        configuration does, with a message that says what to fix. A ``follower`` (see the
        module docstring) skips the migrations and, when it runs no anchoring worker, starts a
        :class:`ChainKeeper` so its readers still get a fresh client after an outage.
        """
        runtime = cls.create(settings, chain=chain, migrate=not follower)
        runtime.owns_chain = chain is None
        runtime.follower = follower
        try:
            if runtime.owns_chain:
                try:
                    runtime.require_chain()
                except ChainUnavailable as exc:
                    logger.warning("chain not reachable at start-up (%s); will keep trying", exc)
            if settings.worker_enabled if start_worker is None else start_worker:
                runtime.start_worker()
            elif follower and runtime.owns_chain:
                runtime.keeper = ChainKeeper(
                    refresh=runtime.require_chain, poll_s=settings.worker_poll_s
                )
                runtime.keeper.start()
        except BaseException:
            runtime.close()
            raise
        return runtime

    # -------------------------------------------------------------------------- chain

    def require_chain(self) -> ChainClient:
        """A connected client with its registry attached; reconnects or raises ChainUnavailable.

        An injected client is returned as it is (its owner manages it).
        """
        with self._chain_lock:
            current = self.chain
            if not self.owns_chain:
                if current is None:
                    raise ChainUnavailable("no chain client configured for this runtime")
                return current
            if current is not None and self.settings.uses_memory_chain:
                return current  # in process: nothing to reconnect to, never replaced
            if current is not None and not self._suspect and self._usable(current):
                self.chain_cache.mark_chain_up()  # the node answers: readers may ask it again
                return current
            if current is not None and not self._reconnecting:
                logger.warning("replacing the chain client for %s", current.endpoint)
            self._reconnecting = True
            # Until a new client is connected the old one stays in place: readers keep its
            # identity (and so the final facts cached for it) and fail fast on the rest.
            self.chain = self._connect()
            self._reconnecting = self._suspect = False
            self._last_head = None
            self.chain_cache.mark_chain_up()
            return self.chain

    def discard_chain(self) -> None:
        """Build a fresh client on the next :meth:`require_chain`: one of our transactions
        vanished or is stuck, so this client's nonce counter is ahead of the chain."""
        self._suspect = True

    def _usable(self, chain: ChainClient) -> bool:
        """Connected, registry present, and the chain has not gone backwards since last time.

        A head lower than one we saw means the node lost blocks (restarted from an older state
        dump): our nonce counter may be ahead of it, so the client must be replaced.
        """
        if not chain.is_connected() or chain.contract_address is None:
            return False
        try:
            with translate_errors(endpoint=chain.endpoint):
                if len(chain.w3.eth.get_code(chain.contract_address)) == 0:
                    return False
            head = chain.block_number()
        except ChainError:
            return False
        if self._last_head is not None and head < self._last_head:
            logger.warning("chain head went back from %d to %d", self._last_head, head)
            return False
        self._last_head = head
        return True

    def _healthy(self, chain: ChainClient) -> bool:
        """Reachable with its registry deployed (for /readyz)."""
        if not chain.is_connected() or chain.contract_address is None:
            return False
        try:
            with translate_errors(endpoint=chain.endpoint):
                return len(chain.w3.eth.get_code(chain.contract_address)) > 0
        except ChainError:
            return False

    def _connect(self) -> ChainClient:
        settings = self.settings
        if settings.uses_memory_chain:
            client = ChainClient.from_settings(settings)
            client.ensure_registry(settings.contract_address)
            return client
        url = settings.chain_rpc_url
        if settings.uses_managed_anvil:
            url = self._managed_anvil_url()
        candidate = self._candidate
        if candidate is None or candidate.endpoint != url:
            # Reused across failed attempts: it has sent nothing, so it holds no stale nonce.
            candidate = self._candidate = ChainClient.from_settings(settings, rpc_url=url)
        client = candidate
        if not client.is_connected():
            raise ChainUnavailable(f"chain node at {url} is not answering")
        self._candidate = None
        if self.follower:
            self._attach_only(client)
        else:  # a deployment goes out under the sender lease, never beside a sending pass
            with deployment_fence(self.engine, client, settings.sender_lease_s):
                client.ensure_registry(
                    settings.contract_address, remember_file=client.remember_file(settings.data_dir)
                )
        logger.info(
            "using TraceRegistry %s on chain %d via %s",
            client.contract_address,
            client.chain_id,
            client.endpoint,
        )
        return client

    def _attach_only(self, client: ChainClient) -> None:
        """A follower's registry: the configured or remembered one, never a new deployment.

        Until the serving parent has deployed it (its node was down when it started), the
        chain counts as unavailable here and the keeper or worker simply tries again.
        """
        settings = self.settings
        address = client.load_retired(
            client.remember_file(settings.data_dir), settings.contract_address
        )
        from_block = 0
        if not address:
            known = read_deployment(client.remember_file(settings.data_dir), client.chain_id)
            if known is None:
                raise ChainUnavailable("registry not deployed yet by the serving process")
            address, from_block = known.address, known.block_number
        try:
            client.attach(address, from_block=from_block)
        except ContractNotFound as exc:
            raise ChainUnavailable(
                f"registry {address} has no code yet (the serving process redeploys it)"
            ) from exc

    def _managed_anvil_url(self) -> str:
        """Our anvil's URL, starting it (again) if needed.

        A command run next to a running server (``sentrace anchor`` while ``sentrace serve``
        is up) attaches to the server's anvil, found through the endpoint file, instead of
        starting a second node on the same state file. A follower only ever attaches: the
        serving parent owns the node and restarts it.
        """
        endpoint_file = self.settings.data_dir / ANVIL_DIR / ANVIL_ENDPOINT_FILE
        if self.follower:
            running = running_anvil_url(endpoint_file)
            if running is None:
                raise ChainUnavailable("the serving process's managed anvil is not running")
            return running
        if self.anvil is None:
            running = running_anvil_url(endpoint_file)
            if running is not None:
                logger.info("attaching to the managed anvil already running at %s", running)
                return running
            self.anvil = ManagedAnvil(self.settings.data_dir / ANVIL_DIR)
        if not self.anvil.is_running():
            self.anvil.start()
            write_endpoint(endpoint_file, self.anvil.url, self.anvil.pid)
        return self.anvil.url

    def chain_view(self) -> ChainView:
        """A per-request view of the chain, backed by the process-wide cache of final facts."""
        return ChainView(
            self.chain,
            self.chain_cache,
            late_record_warn_h=self.settings.late_record_warn_h,
            finality=Finality.from_settings(self.settings),  # the anchoring service's own
        )

    def chain_status(self) -> dict[str, Any]:
        """Whether the node answers and the registry contract is deployed where we think."""
        chain = self.chain
        if chain is None:
            return {"reachable": False, "contract_deployed": False}
        try:
            reachable = chain.is_connected()
            deployed = bool(reachable and chain.contract_address and self._healthy(chain))
        except Exception:
            logger.warning("chain not reachable", exc_info=True)
            return {"reachable": False, "contract_deployed": False}
        status: dict[str, Any] = {"reachable": reachable, "contract_deployed": deployed}
        if deployed:
            status["contract_address"] = chain.contract_address
        return status

    # ----------------------------------------------------------------- anchoring, worker

    @property
    def anchoring(self) -> AnchoringService:
        """The anchoring service of this process (one, shared by the worker and the API)."""
        with self._chain_lock:
            if self._anchoring is None:
                self._anchoring = AnchoringService(
                    engine=self.engine,
                    settings=self.settings,
                    chain=self.require_chain,
                    cache=self.chain_cache,
                    on_tx_lost=self.discard_chain if self.owns_chain else None,
                )
            return self._anchoring

    def start_worker(self) -> AnchorWorker:
        """Start the background anchoring thread (idempotent)."""
        if self.worker is None:
            service = self.anchoring
            self.worker = AnchorWorker(
                run_pass=lambda: service.run_once().more_work,
                reconcile=lambda: service.reconcile(full=False, wait=False),
                poll_s=self.settings.worker_poll_s,
            )
        self.worker.start()
        return self.worker

    # ------------------------------------------------------------------- health, stop

    def database_ok(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any driver error means "not ready"
            logger.warning("database not reachable", exc_info=True)
            return False
        return True

    def close(self) -> None:
        """Stop the worker or keeper, the managed anvil (it dumps its state), then the engine."""
        if self._closed:
            return
        self._closed = True
        if self.keeper is not None:
            self.keeper.stop()
        if self.worker is not None:
            self.worker.stop()
        if self.anvil is not None:
            try:
                self.anvil.stop()
                (self.settings.data_dir / ANVIL_DIR / ANVIL_ENDPOINT_FILE).unlink(missing_ok=True)
            except (ChainConfigError, OSError):
                logger.warning("could not stop anvil cleanly", exc_info=True)
        if self.replicas is not None:
            self.replicas.dispose()
        self.engine.dispose()
