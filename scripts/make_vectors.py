"""Regenerate tests/vectors/events.json, events_v2.json and signatures.json: fixed answers.

The vectors are for people who check SenTrace without our code: each event gives its input
fields (some Vietnamese text deliberately in NFD), the canonical document, its RFC 8785 bytes,
event hash, lot key and Merkle leaf; the batch gives the tree, root and every proof. The file is
written with ``\\u`` escapes so that no editor can quietly re-normalise the NFD inputs. The v2
vectors (scripts/vectors_v2.py) add chained documents, commitments and a heads map; the
signature vectors (scripts/vectors_signatures.py) sign the v2 events, a signer change and a
recall as EIP-712 typed data with published TEST keys (never to be used for anything real).

Usage: ``python scripts/make_vectors.py`` (rewrite) or ``--check`` (exit 1 if stale).
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode

REPO_ROOT = Path(__file__).resolve().parents[1]
for _folder in (REPO_ROOT, REPO_ROOT / "scripts"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from vectors_signatures import build_vectors_signatures  # noqa: E402
from vectors_v2 import build_vectors_v2  # noqa: E402

from backend.hashing import (  # noqa: E402 - after the path set-up above
    SCHEMA,
    MerkleTree,
    canonical_bytes,
    canonical_document,
    event_hash,
    keccak,
    leaf_hash,
    lot_key,
    to_hex,
)

VECTORS_PATH = REPO_ROOT / "tests" / "vectors" / "events.json"
VECTORS_V2_PATH = REPO_ROOT / "tests" / "vectors" / "events_v2.json"
SIGNATURES_PATH = REPO_ROOT / "tests" / "vectors" / "signatures.json"


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


XOAI = "DT-XOAI-2026-0001"
QUYT = "LV-QUYT-2026-0042"

#: The input fields of each event, as a service would pass them to ``canonical_document``.
EVENTS: list[dict[str, Any]] = [
    {
        "name": "harvest, NFC text, location set",
        "event_id": "0b6f3a52-8e41-4c1e-9d27-5f0a3c9e7b11",
        "lot_code": XOAI,
        "event_type": "harvest",
        "occurred_at": "2026-03-02T06:15:00+07:00",
        "org_slug": "htx-my-xuong",
        "location": {
            "commune": "Mỹ Xương",
            "province": "Đồng Tháp",
            "lat": "10.4521",
            "lon": "105.6331",
        },
        "data": {
            "product": "Xoài cát Chu",
            "quantity": "1250.5",
            "unit": "kg",
            "crates": 50,
            "grade": "Loại 1",
        },
    },
    {
        "name": "input_application, NFD text in values",
        "event_id": "1c7e4b63-9f52-4d2f-8e38-6a1b4dae8c22",
        "lot_code": XOAI,
        "event_type": "input_application",
        "occurred_at": "2026-02-10T01:00:00Z",
        "org_slug": "htx-my-xuong",
        "location": {"commune": _nfd("Mỹ Xương"), "plot": "A-03"},
        "data": {
            "input": _nfd("Phân bón hữu cơ vi sinh"),
            "dose": "2.5",
            "unit": _nfd("kg/gốc"),
            "trees": 120,
            "operator": _nfd("Nguyễn Văn Hùng"),
            "pre_harvest_interval_days": 14,
        },
    },
    {
        "name": "quality_check, location null, nested list",
        "event_id": "2d8f5c74-a063-4e30-9f49-7b2c5ebf9d33",
        "lot_code": XOAI,
        "event_type": "quality_check",
        "occurred_at": "2026-03-02T09:45:30Z",
        "org_slug": "dong-thap-packers",
        "location": None,
        "data": {
            "checks": [
                {"name": "dư lượng thuốc BVTV", "result": "đạt"},
                {"name": "độ Brix", "value": "18.2"},
            ],
            "passed": True,
            "inspector": None,
            "certificate": "VietGAP-2026-0117",
        },
    },
    {
        "name": "transfer, NFD key and value, location null",
        "event_id": "3e906d85-b174-4f41-8a5a-8c3d6fc0ae44",
        "lot_code": QUYT,
        "event_type": "transfer",
        "occurred_at": "2026-03-05T14:00:00+07:00",
        "org_slug": "htx-lai-vung",
        "location": None,
        "data": {
            "product": _nfd("Quýt hồng Lai Vung"),
            "to_org": "dong-thap-packers",
            "quantity": "800",
            "unit": "kg",
            _nfd("ghi_chú"): _nfd("Giao tại kho Lai Vung"),
        },
    },
    {
        "name": "split into two children",
        "event_id": "4fa17e96-c285-4a52-9b6b-9d4e70d1bf55",
        "lot_code": QUYT,
        "event_type": "split",
        "occurred_at": "2026-03-06T02:30:00Z",
        "org_slug": "dong-thap-packers",
        "location": {"site": "Kho Sa Đéc"},
        "data": {
            "children": [
                {"lot": f"{QUYT}-A", "quantity": "500"},
                {"lot": f"{QUYT}-B", "quantity": "300"},
            ],
            "unit": "kg",
        },
    },
    {
        "name": "packing, escapes and an astral character",
        "event_id": "50b28fa7-d396-4b63-8c7c-ae5f81e2c066",
        "lot_code": f"{QUYT}-A",
        "event_type": "packing",
        "occurred_at": "2026-03-06T08:00:00Z",
        "org_slug": "dong-thap-packers",
        "location": None,
        "data": {
            "label": "\U0001f34a Quýt hồng",
            "note": 'Thùng "A-17"\nđóng\tgói\\2026',
            "boxes": 50,
            "box_weight_g": 10000,
        },
    },
    {
        "name": "recall, NFD reason",
        "event_id": "61c3a0b8-e4a7-4c74-9d8d-bf6092f3d177",
        "lot_code": XOAI,
        "event_type": "recall",
        "occurred_at": "2026-03-20T10:00:00+07:00",
        "org_slug": "chi-cuc-bvtv-dong-thap",
        "location": None,
        "data": {
            "reason": _nfd("Phát hiện dư lượng vượt ngưỡng cho phép"),
            "authority": "Chi cục Trồng trọt và BVTV Đồng Tháp",
        },
    },
]


def _event_vector(spec: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in spec.items() if k != "name"}
    document = canonical_document(
        **{**fields, "occurred_at": datetime.fromisoformat(fields["occurred_at"])}
    )
    canonical = canonical_bytes(document)
    key = lot_key(fields["lot_code"])
    digest = event_hash(document)
    return {
        "name": spec["name"],
        "input": fields,
        "input_is_nfc": fields == _nfc_all(fields),
        "document": document,
        "canonical_utf8": canonical.decode("utf-8"),
        "canonical_hex": to_hex(canonical),
        "event_hash": to_hex(digest),
        "lot_key": to_hex(key),
        "leaf": to_hex(leaf_hash(key, digest)),
    }


def _nfc_all(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_nfc_all(k): _nfc_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc_all(v) for v in value]
    return value


def _string_leaf(value: str) -> bytes:
    """OpenZeppelin's standard leaf for types ``["string"]``: abi.encode of one string."""
    return keccak(keccak(abi_encode(["string"], [value])))


def build_vectors() -> dict[str, Any]:
    """Every vector, computed now from the code under test."""
    events = [_event_vector(spec) for spec in EVENTS]
    tree = MerkleTree.build([bytes.fromhex(e["leaf"][2:]) for e in events])
    golden = MerkleTree.build([_string_leaf(c) for c in "abcdef"])
    return {
        "rules": f"{SCHEMA} (ARCHITECTURE.md, normative hashing and proof rules v1)",
        "events": events,
        "batch": {
            "leaves_sorted": [to_hex(leaf) for leaf in tree.leaves],
            "tree": [to_hex(node) for node in tree.nodes],
            "root": to_hex(tree.root),
            "proofs": [
                {
                    "event_id": e["input"]["event_id"],
                    "leaf": e["leaf"],
                    "proof": [to_hex(p) for p in tree.proof(bytes.fromhex(e["leaf"][2:]))],
                }
                for e in events
            ],
        },
        "openzeppelin_string_tree": {
            "leaf_encoding": ["string"],
            "values": list("abcdef"),
            "root": to_hex(golden.root),
        },
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, ensure_ascii=True, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a file is stale")
    args = parser.parse_args(argv)
    v2 = build_vectors_v2()
    outputs = {
        VECTORS_PATH: build_vectors(),
        VECTORS_V2_PATH: v2,
        SIGNATURES_PATH: build_vectors_signatures(v2["events"]),
    }
    stale = 0
    for path, vectors in outputs.items():
        text = render(vectors)
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                print(f"{path} is stale: run scripts/make_vectors.py", file=sys.stderr)
                stale = 1
            else:
                print(f"{path} is up to date")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
