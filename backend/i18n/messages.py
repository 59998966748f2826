"""Messages given in both languages at once, ``"Tiếng Việt / English"``.

An API answer's ``detail``, an :class:`~backend.errors.InvalidInput` raised by a service and a
line printed by the command line carry one string with both languages (Vietnamese first),
which clients and tests compare exactly. The two halves live in the catalogues like every
other text, under the same key in ``vi`` and ``en``, so a wording is changed in one place and
the pages can show either half on its own.

Parameters are ``str.format`` placeholders that both halves carry. What is not words (a
driver's error, a list of choices, a path) is passed as ``tail`` and follows both halves after
a colon, once: ``"Không in được tem / cannot print labels: DPI too low"``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from backend.i18n import catalogue

#: Between the Vietnamese and the English half.
SEPARATOR = " / "


@cache
def bilingual(key: str) -> str:
    """The unformatted ``"vi / en"`` text of ``key``, remembered: errors on hot paths (a
    refused write, a rate limit) then cost one dict lookup. A key missing from either
    catalogue raises ``KeyError`` rather than showing half a message (a test checks both)."""
    return f"{catalogue('vi')[key]}{SEPARATOR}{catalogue('en')[key]}"


def message(key: str, *, tail: object = None, **params: object) -> str:
    """``"vi / en"`` for ``key``, with ``str.format`` parameters shared by both halves and an
    optional ``tail`` (not formatted, so braces in an error text are safe)."""
    text = bilingual(key)
    if params:
        text = text.format(**params)
    return text if tail is None else f"{text}: {tail}"


def message_in_each(key: str, **params: Callable[[str], object]) -> str:
    """``"vi / en"`` for ``key`` where a parameter's words differ by language (a list of item
    names, say): each parameter is a function of the language code, asked once per half."""
    return SEPARATOR.join(
        catalogue(lang)[key].format(**{name: value(lang) for name, value in params.items()})
        for lang in ("vi", "en")
    )
