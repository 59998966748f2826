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
import re
from typing import Any

#: Deepest nesting of arrays and objects accepted from outside the process.
MAX_JSON_DEPTH = 64

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


class JsonTooDeep(ValueError):
    """The text nests arrays and objects deeper than the limit; it was not parsed."""


def json_too_deep(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit`` (strings ignored).

    Counting brackets first keeps this at C speed for ordinary texts, which cannot reach the
    limit at all; only a text with more brackets than the limit is walked.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def loads_bounded(text: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` for a text from outside the process; :class:`JsonTooDeep` past ``limit``."""
    if json_too_deep(text, limit):
        raise JsonTooDeep(f"JSON nested deeper than {limit} levels")
    return json.loads(text)
