"""Exceptions of the hashing subsystem.

Everything raised on purpose here derives from :class:`HashingError`, itself a ``ValueError``
because every case is a bad value handed in, never a broken environment::

    HashingError (ValueError)
    ├── NonCanonicalValue   a value outside the canonical value space (float, NaN, bytes,
    │                       non-string key, integer beyond ±(2**53 - 1), lone surrogate,
    │                       keys that collide after NFC, malformed timestamp or UUID)
    ├── InvalidHex          text that is not ``0x`` followed by the expected hex digits
    ├── InvalidNode         a hash, leaf, root or proof element that is not 32 bytes
    ├── EmptyTree           a Merkle tree asked for with no leaves
    ├── LeafNotInTree       a proof asked for a leaf the tree does not hold
    ├── InvalidSalt         a commitment salt that is not 32 bytes (rules v2)
    └── InvalidHeadProof    a heads-map proof whose bitmap and siblings do not fit (rules v2)
"""

from __future__ import annotations


class HashingError(ValueError):
    """Root of the hashing errors: the input cannot be hashed or proven under the rules."""


class NonCanonicalValue(HashingError):
    """Raised when a document holds a value the rules cannot hash; ``path`` says where.

    ``path`` reads like ``data.inputs[2].dose``; it is empty for the document itself.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class InvalidHex(HashingError):
    """Raised by :func:`from_hex` for text that is not strict ``0x``-prefixed hex."""


class InvalidNode(HashingError):
    """Raised when a value used as a 32-byte hash (leaf, node, root, key) has another shape."""


class EmptyTree(HashingError):
    """Raised when a Merkle tree is built from no leaves: an empty batch has no root."""


class LeafNotInTree(HashingError):
    """Raised when a proof is requested for a leaf that is not part of the tree."""


class InvalidSalt(HashingError):
    """Raised when a commitment is made or checked with a salt other than 32 bytes.

    A shorter salt would let anyone who guesses the value (a commune, a common name) confirm
    the guess by hashing, which is what the salt is there to prevent.
    """


class InvalidHeadProof(HashingError):
    """Raised when a head proof cannot be folded into a root.

    That is a bitmap outside uint256, or a number of siblings other than the number of bits
    the bitmap sets: the fold of rule 4 would run out of siblings or leave some unused.
    """
