"""RFC 8785 (JCS) bytes for the canonical value space, fast and equal to the ``rfc8785`` package.

Rule 2 names the ``rfc8785`` package as the reference. It is a pure-Python recursive writer
(30–60 µs per event document), and the verification page re-hashes every event on every read.
Within our value space (see ``values``) JCS coincides with what ``orjson`` writes with
``OPT_SORT_KEYS | OPT_STRICT_INTEGER``:

- strings: both escape exactly ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` by name and every other
  control character below U+0020 as ``\\u00xx`` with lowercase hex; everything else (U+007F,
  U+2028, astral characters) is written as itself in UTF-8; both refuse lone surrogates;
- numbers: only integers within ±(2**53 - 1) (``OPT_STRICT_INTEGER`` refuses the rest, with the
  same bounds as ``rfc8785``), written as plain digits; floats never get this far;
- objects: JCS sorts keys by UTF-16 code units, ``orjson`` by code points. The two orders agree
  unless a key holds a character beyond U+FFFF (its surrogate pair sorts below U+E000–U+FFFF in
  UTF-16). That case is detected and handed to the ``rfc8785`` package itself.

Two paths. The *quick* path checks the shape of a document without copying it (exact types, a
handful of C-level ``map``/``join`` calls per container rather than Python work per value),
serialises it and accepts the bytes when they are ASCII or NFC. Checking NFC on the output is
sound: every string sits between ``"`` characters, which are normalisation boundaries that
compose with nothing, and escaping replaces only control characters, ``"`` and ``\\`` (also
boundaries), so a string that is not NFC leaves the output not NFC. Anything else (subclasses,
tuples, floats, non-NFC text, non-ASCII keys, huge integers) takes the *precise* path: the
validating, normalising walk of ``values.prepare``, which also says what is wrong and where.

The property tests in tests/hashing prove equality with ``rfc8785.dumps`` on random documents.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import orjson
import rfc8785

from backend.hashing.errors import NonCanonicalValue
from backend.hashing.values import _Root, prepare

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
_SCALAR_TYPES = frozenset({str, int, bool, type(None)})
_PLAIN_TYPES = _SCALAR_TYPES | {dict, list}


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of the NFC-normalised ``value``; :class:`NonCanonicalValue` if refused."""
    encoded = quick_json(value)
    return _precise(value) if encoded is None else encoded


def quick_json(value: Any) -> bytes | None:
    """The canonical bytes of a plain, already-NFC object, or None when it needs the walk."""
    try:
        if type(value) is not dict or not _plain(value):
            return None
        encoded = orjson.dumps(value, option=_OPTIONS)
    except (RecursionError, orjson.JSONEncodeError):
        return None  # deep nesting, a cycle, a lone surrogate or a huge integer
    if encoded.isascii() or unicodedata.is_normalized("NFC", encoded.decode("utf-8")):
        return encoded
    return None


def _plain(node: dict[Any, Any] | list[Any]) -> bool:
    """True when every container is an exact dict/list, every key ASCII str, every leaf plain.

    ASCII keys also rule out the one place where code point and UTF-16 order differ.
    """
    if type(node) is dict:
        try:
            if not "".join(node).isascii():
                return False
        except TypeError:  # a key that is not a string
            return False
        members: Any = node.values()
    else:
        members = node
    if _SCALAR_TYPES.issuperset(map(type, members)):
        return True
    if not _PLAIN_TYPES.issuperset(map(type, members)):
        return False
    for member in members:
        if (type(member) is dict or type(member) is list) and not _plain(member):
            return False
    return True


def _precise(value: Any) -> bytes:
    root = _Root("")
    prepared = prepare(value, root)
    if not root.wide_keys:
        try:
            return orjson.dumps(prepared, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # nesting deeper than orjson's limit: the reference has a deeper one
    return reference_jcs(prepared)


def reference_jcs(prepared: Any) -> bytes:
    """The ``rfc8785`` package on an already validated and normalised value."""
    try:
        return rfc8785.dumps(prepared)
    except RecursionError:
        raise NonCanonicalValue("", "nested too deeply") from None
    except rfc8785.CanonicalizationError as exc:  # pragma: no cover - validation catches these
        raise NonCanonicalValue("", str(exc)) from exc
