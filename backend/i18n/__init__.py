"""User-facing text, kept in one place per language.

Messages live in ``locales/<lang>/<namespace>.json`` (``vi`` first, ``en`` second); a page
asks for ``t("consumer.verdict.verified")``. Vietnamese is the default; English is chosen by
``?lang=en`` or the Accept-Language header. A key missing in English falls back to
Vietnamese, and a key missing everywhere is returned as itself so a gap shows on the page
instead of crashing it (a test checks both catalogues have the same keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "vi"
LANGUAGES = ("vi", "en")

Translator = Callable[..., str]


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> dict[str, str]:
    """All messages of one language, flattened to dotted keys (``namespace.a.b``)."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / language).glob("*.json")):
        _flatten(path.stem, json.loads(path.read_text(encoding="utf-8")), messages)
    return messages


def _flatten(prefix: str, node: object, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}", value, out)
    else:
        out[prefix] = str(node)


def translator(language: str) -> Translator:
    """``t(key, **params)`` for one language, with ``str.format`` parameters."""
    primary = catalogue(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    fallback = catalogue(DEFAULT_LANGUAGE)

    def t(key: str, **params: object) -> str:
        text = primary.get(key) or fallback.get(key) or key
        return text.format(**params) if params else text

    return t


def negotiate_language(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` wins, then the first supported Accept-Language tag, then Vietnamese."""
    if query_lang in LANGUAGES:
        return query_lang
    if accept_language:
        ranked: list[tuple[float, str]] = []
        for part in accept_language.split(","):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            ranked.append((quality, tag.strip().lower().split("-")[0]))
        for _quality, tag in sorted(ranked, key=lambda item: -item[0]):
            if tag in LANGUAGES:
                return tag
    return DEFAULT_LANGUAGE
