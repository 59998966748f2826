"""The fixed answers of hashing rules v2, written by scripts/make_vectors.py to events_v2.json.

A three-event lot chained by ``prev`` (its first event stating the lot's facts, NFD text in the
inputs on purpose), a lot split from it whose first event names the parent event, commitments
with their salts disclosed, and a heads map of four lots with the root after each update, every
lot's proof, two proofs of absence and a stale head that must fail.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from backend.hashing import (
    HeadsMap,
    canonical_bytes,
    canonical_document_v2,
    commit,
    event_hash,
    head_leaf,
    keccak,
    leaf_hash,
    lot_key,
    reference,
    to_hex,
    verify_head,
)
from backend.hashing.heads import ZERO
from backend.hashing.jcs import canonical_json


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


LOT = "DT-XOAI-2026-0101"
CHILD = f"{LOT}-A"
#: Salts are fixed here so that the vectors are reproducible; real salts are random.
SALTS = {name: keccak(f"sentrace vector salt {name}".encode()) for name in ("farm", "point", "qc")}
PRIVATE = {
    "farm": _nfd("Vườn ông Tư Mỹ"),
    "point": {"lat": "10.4521", "lon": "105.6331"},
    "qc": _nfd("Trần Thị Mai"),
}
COMMITTED = {name: commit(value, SALTS[name]) for name, value in PRIVATE.items()}

MY_XUONG = ("htx-my-xuong", _nfd("Hợp tác xã Mỹ Xương"))
PACKERS = ("dong-thap-packers", _nfd("Công ty Đóng gói Đồng Tháp"))

#: Input fields of each event as a service passes them to ``canonical_document_v2``; ``prev``
#: is filled in from the event before, ``parents`` names the parent lot's third event.
EVENTS: list[dict[str, Any]] = [
    {
        "name": "first event of a lot: harvest with lot facts, NFD names, committed farm name",
        "event_id": "7a1e0c52-3b41-4d1e-8d27-1f0a3c9e7b01",
        "lot_code": LOT,
        "seq": 1,
        "event_type": "harvest",
        "occurred_at": "2026-03-02T06:15:00+07:00",
        "org": MY_XUONG,
        "location": {"commune": _nfd("Mỹ Xương"), "province": _nfd("Đồng Tháp")},
        "data": {"crates": 50, "grade": _nfd("Loại 1")},
        "lot_facts": {
            "product": {
                "code": "xoai-cat-chu",
                "name": _nfd("Xoài cát Chu"),
                "name_en": "Cat Chu mango",
                "gtin": "08930000000012",
            },
            "producer": {"org": MY_XUONG[0], "name": MY_XUONG[1]},
            "farm": {
                "code": "MX-01",
                "name": COMMITTED["farm"],
                "commune": _nfd("Mỹ Xương"),
                "province": _nfd("Đồng Tháp"),
                "growing_area_code": "VN-DT-0123",
                "certifications": [{"scheme": "VietGAP", "number": "VG-2026-0117"}],
                "point": COMMITTED["point"],
            },
            "quantity": "1250.5",
            "unit": "kg",
            "harvested_at": "2026-03-01T23:15:00Z",
        },
    },
    {
        "name": "second event: quality check by another organisation, inspector committed",
        "event_id": "7a1e0c52-3b41-4d1e-8d27-1f0a3c9e7b02",
        "lot_code": LOT,
        "seq": 2,
        "event_type": "quality_check",
        "occurred_at": "2026-03-02T09:45:30Z",
        "org": PACKERS,
        "location": None,
        "data": {"brix": "18.2", "passed": True, "inspector": COMMITTED["qc"]},
    },
    {
        "name": "third event: split, naming the receiving organisation by slug and name",
        "event_id": "7a1e0c52-3b41-4d1e-8d27-1f0a3c9e7b03",
        "lot_code": LOT,
        "seq": 3,
        "event_type": "split",
        "occurred_at": "2026-03-03T02:00:00Z",
        "org": PACKERS,
        "location": {"site": _nfd("Kho Sa Đéc")},
        "data": {
            "children": [
                {"lot": CHILD, "quantity": "700"},
                {"lot": f"{LOT}-B", "quantity": "550.5"},
            ],
            "unit": "kg",
            "to": {"org": PACKERS[0], "name": PACKERS[1]},
        },
    },
    {
        "name": "first event of a derived lot: facts, and the parent event that produced it",
        "event_id": "7a1e0c52-3b41-4d1e-8d27-1f0a3c9e7b04",
        "lot_code": CHILD,
        "seq": 1,
        "event_type": "split",
        "occurred_at": "2026-03-03T02:00:00Z",
        "org": PACKERS,
        "location": None,
        "data": {},
        "lot_facts": {
            "product": {
                "code": "xoai-cat-chu",
                "name": "Xoài cát Chu",
                "name_en": None,
                "gtin": None,
            },
            "producer": {"org": MY_XUONG[0], "name": MY_XUONG[1]},
            "farm": None,
            "quantity": "700",
            "unit": "kg",
            "harvested_at": None,
        },
        "parents": "the third event",
    },
]


def _event_vectors() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for spec in EVENTS:
        fields = {k: v for k, v in spec.items() if k not in ("name", "org")}
        fields["org_slug"], fields["org_name"] = spec["org"]
        fields["prev"] = out[-1]["event_hash"] if spec["seq"] > 1 else None
        if "parents" in spec:
            fields["parents"] = [[LOT, out[2]["event_hash"]]]
        document = canonical_document_v2(
            **{**fields, "occurred_at": datetime.fromisoformat(fields["occurred_at"])}
        )
        raw = canonical_bytes(document)
        key, digest = lot_key(spec["lot_code"]), event_hash(document)
        out.append(
            {
                "name": spec["name"],
                "input": fields,
                "document": document,
                "canonical_utf8": raw.decode("utf-8"),
                "canonical_hex": to_hex(raw),
                "event_hash": to_hex(digest),
                "lot_key": to_hex(key),
                "leaf": to_hex(leaf_hash(key, digest)),
            }
        )
    return out


def _commitment_vectors() -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "value": value,
            "salt": to_hex(SALTS[name]),
            "value_canonical_hex": to_hex(canonical_json(value)),
            "commitment": COMMITTED[name]["commitment"],
        }
        for name, value in PRIVATE.items()
    ]


def _flip(key: bytes, bit: int) -> bytes:
    """``key`` with bit ``bit`` of the uint256 inverted (bit 0 the least significant)."""
    return (int.from_bytes(key, "big") ^ (1 << bit)).to_bytes(32, "big")


def _proof(heads: HeadsMap, key: bytes, leaf: bytes) -> dict[str, Any]:
    bitmap, siblings = heads.proof(key)
    return {
        "lot_key": to_hex(key),
        "leaf": to_hex(leaf),
        "bitmap": to_hex(bitmap.to_bytes(32, "big")),
        "siblings": [to_hex(s) for s in siblings],
    }


def _heads_map_vectors(events: list[dict[str, Any]]) -> dict[str, Any]:
    parent, child = bytes.fromhex(events[0]["lot_key"][2:]), bytes.fromhex(events[3]["lot_key"][2:])
    hashes = [bytes.fromhex(e["event_hash"][2:]) for e in events]
    updates = [
        ("the parent lot after its first batch", parent, hashes[0], 1),
        ("the parent lot, two events later", parent, hashes[2], 3),
        ("the derived lot", child, hashes[3], 1),
        ("a lot_key one bit (bit 0) from the parent's", _flip(parent, 0), keccak(b"head c"), 7),
        ("a lot_key sharing the parent's top 155 bits", _flip(parent, 100), keccak(b"head d"), 2),
    ]
    heads, history = HeadsMap(), []
    for name, key, head, seq in updates:
        heads.set_head(key, head, seq)
        history.append(
            {
                "name": name,
                "lot_key": to_hex(key),
                "head_hash": to_hex(head),
                "seq": seq,
                "head_leaf": to_hex(head_leaf(key, head, seq)),
                "root_after": to_hex(heads.root),
            }
        )
    final = {bytes.fromhex(u["lot_key"][2:]): bytes.fromhex(u["head_leaf"][2:]) for u in history}
    assert heads.root == reference.heads_root(final)
    absent = [
        ("a lot with no anchored event", lot_key("DT-XOAI-2026-9999")),
        ("a lot_key one bit (bit 1) from the parent's", _flip(parent, 1)),
    ]
    stale = (parent, hashes[1], 2)
    assert not verify_head(heads.root, *stale, *heads.proof(parent))
    return {
        "empty_root": to_hex(ZERO),
        "updates": history,
        "root": to_hex(heads.root),
        "proofs": [_proof(heads, key, leaf) for key, leaf in final.items()],
        "absent": [{"name": name, **_proof(heads, key, ZERO)} for name, key in absent],
        "stale_head": {
            "lot_key": to_hex(parent),
            "head_hash": to_hex(stale[1]),
            "seq": stale[2],
            "verifies_against_root": False,
        },
    }


def build_vectors_v2() -> dict[str, Any]:
    """Every v2 vector, computed now from the code under test."""
    events = _event_vectors()
    return {
        "rules": "sentrace/event@2 (docs/proof-rules.md, rules v2)",
        "events": events,
        "commitments": _commitment_vectors(),
        "heads_map": _heads_map_vectors(events),
    }
