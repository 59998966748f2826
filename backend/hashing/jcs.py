"""RFC 8785 (JCS) bytes for the canonical value space, fast and equal to the ``rfc8785`` package.

Rule 2 names the ``rfc8785`` package as the reference. It is a pure-Python recursive writer
(about 56 µs per event document), and the verification page re-hashes every event on every read.
Within our value space (see ``values``) JCS coincides with what CPython's C ``json`` encoder
writes with ``ensure_ascii=False``, ``separators=(",", ":")`` and ``sort_keys=True``:

- strings: both escape exactly ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` by name and every other
  control character below U+0020 as ``\\u00xx`` with lowercase hex; everything else, U+007F,
  U+2028 and astral characters included, is written as itself and then UTF-8 encoded;
- integers: plain decimal digits (only ints within ±(2**53 - 1) get this far), ``true``,
  ``false``, ``null``; no floats get this far at all;
- objects: JCS sorts keys by UTF-16 code units, ``json`` by code points. The two orders agree
  unless a key holds a character beyond U+FFFF (its surrogate pair sorts below U+E000–U+FFFF in
  UTF-16). That case is detected while validating and handed to the ``rfc8785`` package itself.

The property tests in tests/hashing prove equality with ``rfc8785.dumps`` on random documents.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from backend.hashing.errors import NonCanonicalValue
from backend.hashing.values import _Root, prepare

_ENCODER = json.JSONEncoder(
    ensure_ascii=False,
    check_circular=False,  # the validating walk already built a fresh acyclic tree
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
)
_encode = _ENCODER.encode


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` after validation and NFC (see :func:`canonical_value`)."""
    root = _Root("")
    prepared = prepare(value, root)
    if root.wide_keys:
        return reference_jcs(prepared)
    return _encode(prepared).encode("utf-8")


def reference_jcs(prepared: Any) -> bytes:
    """The ``rfc8785`` package on an already validated and normalised value."""
    try:
        return rfc8785.dumps(prepared)
    except rfc8785.CanonicalizationError as exc:  # pragma: no cover - validation catches these
        raise NonCanonicalValue("", str(exc)) from exc
