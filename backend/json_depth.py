"""How deeply nested a JSON text is, found without parsing it, and a parser that asks first.

The standard ``json`` parser recurses on the C stack, and py-evm raises the interpreter's
recursion limit to 100 000 when it is imported, so a text of some 100 000 nested brackets
overflows the stack and kills the whole process (SIGSEGV) instead of raising. Every JSON text
that comes from outside the process (a request body, a node's answer, a bundle file, a stored
row that may have been edited behind the application's back) is therefore measured before the
standard parser sees it. No document the project writes comes near the limit.
"""

from __future__ import annotations

import json
from typing import Any

#: Deepest nesting of arrays and objects accepted from outside the process.
MAX_JSON_DEPTH = 64

_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
#: Objects and arrays nest alike: both become ``[`` … ``]`` once strings are gone.
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")


class JsonTooDeep(ValueError):
    """The text nests arrays and objects deeper than the limit; it was not parsed."""


def json_too_deep(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit`` (strings ignored).

    Counting brackets first keeps this at C speed for ordinary texts, which cannot reach the
    limit at all. A text with more brackets than the limit (a batch of a hundred events) is
    measured at C speed too: with strings removed and only brackets kept, every pass of
    ``replace("[]", "")`` takes away the innermost pairs, so the number of passes is the
    nesting depth. Brackets left unpaired at the end (not JSON) count as nesting, as a
    recursive parser would descend into each opening one before it failed.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    rest = _outside_strings(raw).translate(_AS_SQUARE, _NOT_BRACKETS)
    depth = 0
    while b"[]" in rest:
        depth += 1
        if depth > limit:
            return True
        rest = rest.replace(b"[]", b"")
    return depth + rest.count(b"[") > limit


def _outside_strings(raw: bytes) -> bytes:
    """``raw`` without its strings' contents, by C-speed replaces and a split.

    Escaped backslashes go first, then escaped quotes; every quote left opens or closes a
    string, so the text outside strings is every other piece between quotes. Past a stray
    backslash (not JSON) the pieces may pair differently, but a parser stops there.
    """
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return b"".join(unescaped.split(b'"')[::2])


def loads_bounded(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for a text from outside the process; :class:`JsonTooDeep` past ``limit``."""
    if json_too_deep(text, limit):
        raise JsonTooDeep(f"JSON nested deeper than {limit} levels")
    return json.loads(text)
