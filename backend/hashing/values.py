"""The canonical value space of rules v1, and the one walk that enforces it.

A hashed document may hold only ``str`` (NFC, valid UTF-8), ``int`` within ±(2**53 - 1),
``bool``, ``None``, ``list`` and ``dict`` with ``str`` keys. Floats are refused because their
text form is not something two systems agree on for quantities (rule 1: decimal strings or
integers); integers outside ±(2**53 - 1) are refused because RFC 8785 (I-JSON) cannot carry them
exactly and the ``rfc8785`` reference refuses them too, so such numbers must be decimal strings.
Lone surrogates cannot be encoded as UTF-8 and are refused. Two keys of one object that become
equal after NFC are refused rather than silently merged.

:func:`canonical_value` validates and normalises in a single pass over the value and returns a
fresh tree of plain ``dict``/``list``/``str``/``int``: the fast hashing path (see ``jcs``) relies
on that. It is written for speed on the common shape (ASCII keys, shallow objects): scalars are
handled inline, paths are only turned into text when something is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from backend.hashing.errors import NonCanonicalValue

#: Largest magnitude of an integer that RFC 8785 / I-JSON represents exactly.
MAX_SAFE_INTEGER = 2**53 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


class _Root:
    """Top of a path chain; also collects facts the encoder needs about the whole value."""

    __slots__ = ("name", "wide_keys")

    def __init__(self, name: str) -> None:
        self.name = name
        # Set when some key holds a character beyond U+FFFF: only then can RFC 8785's UTF-16
        # key order differ from the code point order that ``json`` sorts by.
        self.wide_keys = False


# A position in the value: the root, or (parent position, key or list index).
_Path = Any


def format_path(at: _Path) -> str:
    """Render a position as ``data.inputs[2].dose``."""
    keys: list[str | int] = []
    while type(at) is tuple:
        at, key = at
        keys.append(key)
    text: str = at.name
    for key in reversed(keys):
        if type(key) is int:
            text += f"[{key}]"
        else:
            text = f"{text}.{key}" if text else str(key)
    return text


def _root_of(at: _Path) -> _Root:
    while type(at) is tuple:
        at = at[0]
    return at


def _refuse(at: _Path, problem: str) -> NonCanonicalValue:
    return NonCanonicalValue(format_path(at), problem)


def _nfc_text(text: str, at: _Path) -> str:
    """NFC of a non-ASCII string, refusing lone surrogates (not encodable as UTF-8)."""
    if _SURROGATE.search(text):
        raise _refuse(at, "text contains a lone surrogate, which UTF-8 cannot encode")
    return unicodedata.normalize("NFC", text)


def _nfc_key(key: str, at: _Path) -> str:
    if _SURROGATE.search(key):
        raise _refuse(at, f"key {key!r} contains a lone surrogate, which UTF-8 cannot encode")
    if _BEYOND_BMP.search(key):
        _root_of(at).wide_keys = True
    return unicodedata.normalize("NFC", key)


def _prepare(value: Any, at: _Path) -> Any:
    kind = type(value)
    if kind is dict:
        return _prepare_object(value, at)
    if kind is str:
        return value if value.isascii() else _nfc_text(value, at)
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise _too_big(at)
    if kind is list:
        return [_prepare(item, (at, index)) for index, item in enumerate(value)]
    if value is None or kind is bool:
        return value
    return _prepare_other(value, at)


def _prepare_object(value: Mapping[Any, Any], at: _Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str:
            key = _other_key(key, at)
        elif not key.isascii():
            key = _nfc_key(key, at)
        kind = type(item)
        if kind is str:
            if not item.isascii():
                item = _nfc_text(item, (at, key))
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise _too_big((at, key))
        elif not (item is None or kind is bool):
            item = _prepare(item, (at, key))
        out[key] = item
    if len(out) != len(value):
        raise _refuse(at, "two keys are the same text once NFC-normalised")
    return out


def _other_key(key: Any, at: _Path) -> str:
    if isinstance(key, str):  # a str subclass such as a StrEnum member: hash its text
        plain = str.__str__(key)
        return plain if plain.isascii() else _nfc_key(plain, at)
    raise _refuse(at, f"object keys must be strings, got {type(key).__name__} {key!r}")


def _prepare_other(value: Any, at: _Path) -> Any:
    """Subclasses of the allowed types and other containers, or a refusal."""
    if isinstance(value, float):
        raise _refuse(at, "floats are not allowed: write quantities as decimal strings or integers")
    if isinstance(value, str):
        plain = str.__str__(value)
        return plain if plain.isascii() else _nfc_text(plain, at)
    if isinstance(value, int):  # bool cannot be subclassed; IntEnum and friends land here
        return _prepare(int(value), at)
    if isinstance(value, Mapping):
        return _prepare_object(value, at)
    if isinstance(value, list | tuple):
        return [_prepare(item, (at, index)) for index, item in enumerate(value)]
    raise _refuse(at, f"unsupported type {type(value).__name__}")


def _too_big(at: _Path) -> NonCanonicalValue:
    return _refuse(
        at, f"integers beyond ±{MAX_SAFE_INTEGER} (2**53 - 1) are not exact in JSON: use a string"
    )


def prepare(value: Any, root: _Root) -> Any:
    """Validate and NFC-normalise ``value`` below ``root``; internal entry for the encoder."""
    try:
        return _prepare(value, root)
    except RecursionError:
        raise NonCanonicalValue(root.name, "nested too deeply (or contains itself)") from None


def canonical_value(value: Any, *, path: str = "") -> Any:
    """Check ``value`` against the canonical value space and return its NFC-normalised copy.

    Services call this on incoming ``data``/``location`` so that what they store is exactly what
    gets hashed; ``path`` prefixes error locations (``canonical_value(d, path="data")`` reports
    ``data.dose``). Raises :class:`NonCanonicalValue`.
    """
    return prepare(value, _Root(path))


def nfc(value: Any) -> Any:
    """Deep NFC normalisation of every string, keys included, in dicts, lists and tuples.

    Unlike :func:`canonical_value` it validates nothing else: other values pass through
    unchanged (mappings become dicts and tuples lists). Keys that collide after NFC are still
    refused, because merging them would silently drop data.
    """
    if isinstance(value, str):
        return unicodedata.normalize("NFC", str.__str__(value))
    if isinstance(value, Mapping):
        out = {nfc(key): nfc(item) for key, item in value.items()}
        if len(out) != len(value):
            raise NonCanonicalValue("", "two keys are the same text once NFC-normalised")
        return out
    if isinstance(value, list | tuple):
        return [nfc(item) for item in value]
    return value
