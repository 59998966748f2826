"""Everything SenTrace does on chain: the registry client, its errors, and a managed anvil.

Import from here (``from backend.chain import ChainClient, ChainError``); the submodules are
split by job, not meant as separate entry points.
"""

from backend.chain.anvil import ManagedAnvil
from backend.chain.artifacts import (
    ContractArtifact,
    legacy_registry_artifact,
    load_artifact,
    registry_artifact,
)
from backend.chain.client import ChainClient
from backend.chain.errors import (
    ChainConfigError,
    ChainError,
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    ChainUnavailable,
    ContractNotFound,
    DecodedRevert,
    StaleHeadsRoot,
    translate_errors,
)
from backend.chain.types import (
    EMPTY_HEADS_ROOT,
    AnchorInfo,
    AnchorLog,
    HeadsUpdate,
    LotEventLog,
    SignerRecord,
    TxResult,
)

__all__ = [
    "EMPTY_HEADS_ROOT",
    "AnchorInfo",
    "AnchorLog",
    "ChainClient",
    "ChainConfigError",
    "ChainError",
    "ChainRejected",
    "ChainReverted",
    "ChainTimeout",
    "ChainUnavailable",
    "ContractArtifact",
    "ContractNotFound",
    "DecodedRevert",
    "HeadsUpdate",
    "LotEventLog",
    "ManagedAnvil",
    "SignerRecord",
    "StaleHeadsRoot",
    "TxResult",
    "legacy_registry_artifact",
    "load_artifact",
    "registry_artifact",
    "translate_errors",
]
