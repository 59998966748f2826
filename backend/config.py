"""Runtime settings, read once from the environment (prefix ``SENTRACE_``).

Everything an operator can tune lives here so that the README, the deployment guide and the
code agree on one list. Secrets are ``SecretStr`` so that they never appear in a repr or a log
line by accident; the demo anchor key is refused in production.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: anvil's first development account. Public knowledge: fine for a local chain, fatal anywhere
#: else, hence the production check below.
DEMO_ANCHOR_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

MEMORY_CHAIN = "memory"


class Environment(StrEnum):
    """Where the process runs; production turns demo conveniences into errors."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class FinalityMode(StrEnum):
    """``SENTRACE_FINALITY``: how a mined transaction is judged final (``chain.finality``)."""

    AUTO = "auto"  # depth on development chains, else the node's finalized tag if it has one
    DEPTH = "depth"  # SENTRACE_CONFIRMATIONS blocks deep
    SAFE = "safe"  # at or below the node's safe block (and that deep)
    FINALIZED = "finalized"  # at or below the node's finalized block (and that deep)


class Settings(BaseSettings):
    """All settings of one SenTrace process."""

    # hide_input_in_errors: pydantic's message would quote the inputs, a key's tail among them.
    model_config = SettingsConfigDict(
        env_prefix="SENTRACE_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("data")
    database_url: str | None = None
    # PostgreSQL streaming replicas (comma-separated URLs) that serve the public reads: the
    # consumer page, verification and the proof bundle (backend/db_replicas.py).
    database_replica_urls: str = ""
    chain_rpc_url: str | None = None
    contract_address: str | None = None
    # Where log queries of a registry given by address start (its deployment block; unknown
    # to the process, which knows it only for registries it deployed); 0: the genesis block.
    registry_from_block: int = Field(default=0, ge=0)
    # Blocks one log query (eth_getLogs) may cover; halved while the node refuses it as too
    # wide. Besu's default cap is 1,000; public providers allow 1,000 to 10,000.
    rpc_max_log_range: int = Field(default=1000, ge=1, le=1_000_000)
    anchor_private_key: SecretStr | None = None
    anchor_keystore: Path | None = None
    anchor_keystore_password: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    # Public JSON-RPC endpoints of the chain in use (comma-separated, tried in order) from which
    # consumers' browsers read the registry for the lot page's own check, never through us.
    # Empty: outside production the server's own node when it listens on loopback (a browser on
    # the same machine reaches it); in production the page offers no browser check.
    public_rpc_urls: str = ""
    admin_token: SecretStr | None = None
    session_secret: SecretStr | None = None
    # Custodial signing keys are stored encrypted under a key derived from this secret (never
    # in the database). Outside production a secret kept in the data folder stands in for it;
    # production refuses to create or use a custodial key without it.
    key_encryption_secret: SecretStr | None = None
    # The key whose EIP-712 signature registers and revokes organisations' signers on chain
    # (it holds SIGNER_ADMIN_ROLE). Outside production it defaults to the anchor key, which is
    # the admin of a development registry; production sends no signer change without it.
    signer_admin_key: SecretStr | None = None

    batch_max_events: int = Field(default=1000, ge=1, le=100_000)
    batch_max_delay_s: float = Field(default=30.0, ge=0)
    confirmations: int = Field(default=1, ge=1, le=1000)
    # A transaction not mined this long after its last attempt is replaced at the same nonce
    # with both fees raised by at least 12.5% (and to the market's): it was priced too low.
    tx_replace_after_s: float = Field(default=180.0, gt=0)
    # The sending pass's lease (the fence against a second sender); renewed by every send.
    sender_lease_s: float = Field(default=120.0, gt=0)
    # When a transaction counts as final: by the node's finalized/safe block where it answers
    # those tags, else by depth (SENTRACE_CONFIRMATIONS, also the least depth under a tag).
    finality: FinalityMode = FinalityMode.AUTO
    direct_event_types: str = "harvest,transfer,recall"
    # Rules of new events: 2 (lot hash chain, lot facts, heads map: nothing shown can be
    # changed, hidden, moved or reordered) or 1 (each event's own fields), which an older
    # release wrote; lots recorded under 1 stay verifiable either way.
    event_schema: int = Field(default=2, ge=1, le=2)
    # Rules v2: an event recorded this many hours after it happened is marked "recorded late".
    late_record_warn_h: float = Field(default=72.0, gt=0)
    # Two-step custody: hours a shipment waits for its receiver before the sender may void it.
    shipment_expiry_h: int = Field(default=168, ge=1, le=8760)
    worker_enabled: bool = True
    worker_poll_s: float = Field(default=1.0, gt=0)
    # Recall notice webhooks: how often each server process looks for deliveries due (0: never).
    webhook_poll_s: float = Field(default=5.0, ge=0)
    # Webhooks may point at loopback, private and link-local addresses (a receiver on this
    # machine, in development and tests). Refused in production: that is how SSRF gets in.
    webhook_allow_private: bool = False
    # Server processes of `sentrace serve` (`--workers`); also divides the public rate limit.
    web_workers: int = Field(default=1, ge=1, le=64)

    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # Threads a server process runs request handlers on. Handlers hold the GIL for most of
    # their time, so more threads than a few per core only queue for it, and switching between
    # dozens of them cost more CPU per request than the work (measured: 7.7 ms per
    # verification alone, 17.5 ms with 32 clients on anyio's default of 40 threads).
    request_threads: int = Field(default=8, ge=1, le=256)
    # Threads per process that compute verdicts (verification endpoint, consumer page); see
    # backend/http/verdict_threads.py for why few. Unset: one on SQLite, two on PostgreSQL. A
    # database far away (each statement a network round trip) wants more: the threads then
    # mostly wait rather than compute.
    verdict_threads: int | None = Field(default=None, ge=1, le=64)
    # SQLite writes of a process (single events, batches) wait for the database in one queue
    # instead of sleeping in SQLite's busy handler on request threads (backend/http/writer_lane.py).
    sqlite_writer_lane: bool = True
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # An Idempotency-Key's stored answer is replayed this long after the write, then forgotten
    # (a later request with the key is a new write) and swept from the database.
    idempotency_ttl_h: int = Field(default=72, ge=1)
    scan_warn_threshold: int = Field(default=20, ge=1)
    explorer_tx_url: str = ""
    explorer_block_url: str = ""
    # Sign-in throttle (services/accounts/throttle.py): wrong passwords from one client address
    # before each further one waits, from SENTRACE_LOGIN_BACKOFF_BASE_S doubling up to _MAX_S.
    login_free_attempts: int = Field(default=5, ge=1)
    # The same against one account from all addresses, each address counting at most
    # SENTRACE_LOGIN_FREE_ATTEMPTS: one address alone can never slow its owner down.
    login_account_free_attempts: int = Field(default=20, ge=1)
    login_backoff_base_s: float = Field(default=1.0, gt=0)
    login_backoff_max_s: float = Field(default=900.0, gt=0)
    # Operator app sessions end this long after sign-in, or after this long without a request.
    session_lifetime_s: int = Field(default=12 * 3600, ge=60)
    session_idle_s: int = Field(default=2 * 3600, ge=60)

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("public_rpc_urls")
    @classmethod
    def _public_rpc_urls_are_web_urls(cls, value: str) -> str:
        for url in _comma_list(value):
            parsed = urlsplit(url)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"SENTRACE_PUBLIC_RPC_URLS: not an http(s) URL: {url!r}")
        return value

    @field_validator("database_replica_urls")
    @classmethod
    def _replicas_are_postgresql(cls, value: str) -> str:
        for url in _comma_list(value):
            scheme = url.partition(":")[0]
            if not scheme.startswith("postgresql"):  # the URL itself may hold a password
                raise ValueError(
                    f"SENTRACE_DATABASE_REPLICA_URLS: a replica is a PostgreSQL URL, not {scheme!r}"
                )
        return value

    @model_validator(mode="after")
    def _replicas_need_a_postgresql_primary(self) -> Settings:
        if self.database_replica_urls.strip() and not self.resolved_database_url.startswith(
            "postgresql"
        ):
            raise ValueError(
                "SENTRACE_DATABASE_REPLICA_URLS: replicas copy a PostgreSQL primary; "
                "set SENTRACE_DATABASE_URL to it"
            )
        return self

    @model_validator(mode="after")
    def _refuse_demo_secrets_in_production(self) -> Settings:
        if self.env is not Environment.PRODUCTION:
            return self
        key = self.anchor_private_key.get_secret_value() if self.anchor_private_key else None
        if key is not None and key.lower().removeprefix("0x") == DEMO_ANCHOR_PRIVATE_KEY[2:]:
            raise ValueError(
                "SENTRACE_ANCHOR_PRIVATE_KEY is the public demo key: refused in production"
            )
        if key is None and self.anchor_keystore is None:
            raise ValueError(
                "production needs SENTRACE_ANCHOR_PRIVATE_KEY or SENTRACE_ANCHOR_KEYSTORE"
            )
        if self.chain_rpc_url in (None, MEMORY_CHAIN):
            raise ValueError("production needs SENTRACE_CHAIN_RPC_URL pointing at a real network")
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 24:
            raise ValueError("SENTRACE_ADMIN_TOKEN must be at least 24 characters in production")
        if self.session_secret is None:
            raise ValueError("production needs SENTRACE_SESSION_SECRET")
        if self.webhook_allow_private:
            raise ValueError("SENTRACE_WEBHOOK_ALLOW_PRIVATE is refused in production")
        secret = self.key_encryption_secret
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError(
                "SENTRACE_KEY_ENCRYPTION_SECRET must be at least 32 characters in production"
            )
        admin = self.signer_admin_key.get_secret_value() if self.signer_admin_key else None
        if admin is not None and admin.lower().removeprefix("0x") == DEMO_ANCHOR_PRIVATE_KEY[2:]:
            raise ValueError(
                "SENTRACE_SIGNER_ADMIN_KEY is the public demo key: refused in production"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'sentrace.db').as_posix()}"

    @property
    def direct_types(self) -> frozenset[str]:
        """Event types that are also recorded one by one on chain (milestones)."""
        return frozenset(t.strip() for t in self.direct_event_types.split(",") if t.strip())

    @property
    def public_rpc_url_list(self) -> list[str]:
        """``SENTRACE_PUBLIC_RPC_URLS`` as a list, in the order browsers try them."""
        return _comma_list(self.public_rpc_urls)

    @property
    def replica_urls(self) -> list[str]:
        return _comma_list(self.database_replica_urls)

    @property
    def uses_managed_anvil(self) -> bool:
        return not self.chain_rpc_url

    @property
    def uses_memory_chain(self) -> bool:
        return self.chain_rpc_url == MEMORY_CHAIN


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` and pass them in."""
    return Settings()
