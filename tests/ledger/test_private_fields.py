"""Private marks at the service level: a lot keeps the rules it began under, and a disclosure's
path finds its commitment in the stored document whatever the member names contain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.errors import InvalidInput
from backend.hashing import is_commitment, read_document
from backend.models import Event
from backend.services.ledger.disclosures import lot_disclosures, value_at
from backend.services.ledger.events import add_lot_event
from tests.ledger.world import World

WHEN = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


def _note(world: World, code: str, schema: int, data: dict[str, str], private: list[str]) -> Event:
    settings = world.settings.model_copy(update={"event_schema": schema})
    return add_lot_event(
        world.session,
        lot_code=code,
        org=world.coop,
        event_type="note",
        occurred_at=WHEN,
        location=None,
        data=data,
        settings=settings,
        private_fields=private,
    )


def test_a_lot_begun_under_rules_v1_refuses_private_marks_after_the_switch(world: World) -> None:
    world.settings = world.settings.model_copy(update={"event_schema": 1})  # before the switch
    world.harvest("LO-V1")
    with pytest.raises(InvalidInput) as raised:
        _note(world, "LO-V1", 2, {"text": "Số điện thoại chủ vườn"}, ["text"])
    assert raised.value.field == "private"
    assert "proof rules v1" in raised.value.message


def test_a_member_name_with_dots_is_committed_and_found_again(world: World) -> None:
    world.settings = world.settings.model_copy(update={"event_schema": 2})
    world.harvest("LO-V2")
    event = _note(world, "LO-V2", 2, {"text": "Tỉa cành", "liên hệ.sđt": "0912"}, ["liên hệ.sđt"])
    document = read_document(bytes(event.canonical or b""))
    assert is_commitment(document["data"]["liên hệ.sđt"])
    assert document["data"]["text"] == "Tỉa cành"
    found = lot_disclosures(world.session, lot_code="LO-V2", org=world.coop)
    [opened] = [entry for entry in found if entry.seq == 2]
    [value] = opened.values
    assert (value.path, value.value, value.checked) == ("data.liên hệ.sđt", "0912", True)


def test_value_at_walks_dotted_paths_and_misses_quietly() -> None:
    document = {"a": {"b.c": {"d": 1}, "b": {"c": 2}}, "x.y": 3}
    assert value_at(document, "a.b.c.d") == 1
    assert value_at(document, "a.b.c") == {"d": 1}
    assert value_at(document, "x.y") == 3
    assert value_at(document, "a.z") is None
    assert value_at(document, "x.y.z") is None
    assert value_at(["not", "a", "mapping"], "a") is None
