"""Generated lot codes: a random part in place of a counter, drawn again when taken."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from backend.errors import Conflict
from backend.services.ledger import lot_codes
from tests.ledger.world import World
from tests.support.bodies import GENERATED_CODE


def test_random_parts_are_crockford_base32_and_differ() -> None:
    drawn = {lot_codes.random_part() for _ in range(200)}
    assert len(drawn) == 200
    assert all(len(part) == 6 and set(part) <= set(lot_codes.ALPHABET) for part in drawn)
    assert not set("ILOU") & set(lot_codes.ALPHABET)


def test_a_drawn_code_that_is_taken_is_drawn_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    draws: Iterator[str] = iter(["7KQ2MZ", "7KQ2MZ", "7KQ2N0"])
    monkeypatch.setattr(lot_codes, "random_part", lambda: next(draws))
    first = world.harvest()
    second = world.harvest()
    assert first.code.endswith("-7KQ2MZ") and second.code.endswith("-7KQ2N0")
    assert GENERATED_CODE.fullmatch(first.code) and GENERATED_CODE.fullmatch(second.code)


def test_a_writer_that_keeps_drawing_taken_codes_gives_up_with_a_conflict(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lot_codes, "random_part", lambda: "7KQ2MZ")
    world.harvest()
    with pytest.raises(Conflict):
        world.harvest()
