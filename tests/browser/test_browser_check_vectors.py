"""The browser check and the Python verifier agree on the golden vectors of docs/proof-rules.md.

The vectors of tests/vectors/ (rules v1 and v2 documents, commitments, the heads map with its
proofs, absence proofs and stale head, and the signed statements) are run through the
``verify`` bundle the app serves, in real Chromium, and through ``backend.hashing``; both must
give the vectors' bytes and hashes, accept what the vectors accept and refuse what they refuse.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from backend.hashing import (
    HashingError,
    canonical_bytes,
    from_hex,
    head_leaf,
    keccak,
    leaf_hash,
    lot_key,
    read_document,
    to_hex,
    verify_head,
    verify_no_head,
    verify_proof,
)
from backend.hashing.commitments import commitment_hash
from backend.hashing.eip712 import recover_signer
from backend.hashing.heads import fold_head_proof
from backend.services.verification.signatures import judge, signing_domains
from backend.services.verification.signer_reads import SignerRecord
from tests.browser.conftest import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
V1 = json.loads((VECTORS / "events.json").read_text(encoding="utf-8"))
V2 = json.loads((VECTORS / "events_v2.json").read_text(encoding="utf-8"))
SIGNATURES = json.loads((VECTORS / "signatures.json").read_text(encoding="utf-8"))


@pytest.fixture
def checker(page: Page, live_server: LiveServer) -> Page:
    """A page of the app's origin with the served ``verify`` bundle loaded."""
    page.goto(f"{live_server.url}/app/login")
    page.add_script_tag(url=f"{live_server.url}/app/static/build/verify.js", type="module")
    assert page.evaluate("typeof globalThis.SenTraceVerify.verifyBundle") == "function"
    return page


def _nfd(value: Any) -> Any:
    """The same value with every string (keys included) in NFD, as some phones send it."""
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {_nfd(k): _nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfd(item) for item in value]
    return value


DOCUMENT_JS = """(doc) => {
  const V = globalThis.SenTraceVerify, P = V.proofs;
  const raw = V.jcs.canonicalBytes(doc);
  const key = P.textKey(doc.lot);
  return {canonical: P.toHex(raw), hash: P.toHex(P.keccak(raw)), lotKey: P.toHex(key),
          leaf: P.toHex(P.leafHash(key, P.keccak(raw)))};
}"""

READ_JS = """(hex) => {
  const V = globalThis.SenTraceVerify;
  try { V.shape.checkDocumentV2(V.jcs.readCanonical(V.hex.fromHex(hex))); return true; }
  catch (error) { return false; }
}"""


@pytest.mark.parametrize("vectors", [V1, V2], ids=["v1", "v2"])
def test_documents_give_the_same_bytes_hashes_and_leaves(checker: Page, vectors: Any) -> None:
    for event in vectors["events"]:
        document = event["document"]
        expected = {
            "canonical": event["canonical_hex"],
            "hash": event["event_hash"],
            "lotKey": event["lot_key"],
            "leaf": event["leaf"],
        }
        raw = canonical_bytes(document)
        python = {
            "canonical": to_hex(raw),
            "hash": to_hex(keccak(raw)),
            "lotKey": to_hex(lot_key(document["lot"])),
            "leaf": to_hex(leaf_hash(lot_key(document["lot"]), keccak(raw))),
        }
        assert python == expected, event["name"]
        assert checker.evaluate(DOCUMENT_JS, document) == expected, event["name"]
        assert checker.evaluate(DOCUMENT_JS, _nfd(document)) == expected, event["name"]


def _variants(document: dict[str, Any]) -> dict[str, bytes]:
    """Bytes of the document that are not its canonical form, each for one reason."""
    text = canonical_bytes(document).decode("utf-8")
    return {
        "spaces": json.dumps(document, ensure_ascii=False, sort_keys=True).encode(),
        "keys out of order": json.dumps(
            dict(reversed(list(json.loads(text).items()))),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode(),
        "NFD text": unicodedata.normalize("NFD", text).encode(),
        "1.0 for 1": text.replace('"seq":1', '"seq":1.0', 1).encode(),
        "duplicate key": text.replace('{"data"', '{"data":{},"data"', 1).encode(),
        "unknown member": text.replace('{"data"', '{"colour":"red","data"', 1).encode(),
    }


def test_stored_bytes_are_accepted_and_refused_alike(checker: Page) -> None:
    for event in V2["events"]:
        assert checker.evaluate(READ_JS, event["canonical_hex"]) is True
        read_document(from_hex(event["canonical_hex"], size=None))
    first = V2["events"][0]["document"]
    for reason, raw in _variants(first).items():
        assert raw != canonical_bytes(first), reason
        with pytest.raises(HashingError):
            read_document(raw)
        assert checker.evaluate(READ_JS, to_hex(raw)) is False, reason


def test_commitments_open_alike(checker: Page) -> None:
    for item in V2["commitments"]:
        python = to_hex(commitment_hash(item["value"], from_hex(item["salt"])))
        browser = checker.evaluate(
            """([salt, value]) => { const V = globalThis.SenTraceVerify, P = V.proofs;
                 const bytes = new Uint8Array([...P.bytes32(salt), ...V.jcs.canonicalBytes(value)]);
                 return P.toHex(P.keccak(bytes)); }""",
            [item["salt"], _nfd(item["value"])],
        )
        assert python == browser == item["commitment"], item["name"]


HEADS_JS = """(map) => {
  const P = globalThis.SenTraceVerify.proofs, b = P.bytes32;
  const root = b(map.root);
  const proof = (p) => [BigInt(p.bitmap), p.siblings.map(b)];
  const stale = map.stale_head;
  const staleProof = map.proofs.find((p) => p.lot_key === stale.lot_key);
  const first = map.proofs[0];
  return {
    leaves: map.updates.map((u) => P.toHex(P.headLeaf(b(u.lot_key), b(u.head_hash), u.seq))),
    proofs: map.proofs.map((p) => P.toHex(P.foldHead(b(p.lot_key), b(p.leaf), ...proof(p)))),
    absent: map.absent.map((p) => P.verifyNoHead(root, b(p.lot_key), ...proof(p))),
    stale: P.verifyHead(
      root, b(stale.lot_key), b(stale.head_hash), stale.seq, ...proof(staleProof)),
    shortProof: P.foldHead(
      b(first.lot_key), b(first.leaf), BigInt(first.bitmap), first.siblings.slice(1).map(b)),
  };
}"""


def test_the_heads_map_folds_alike(checker: Page) -> None:
    heads = V2["heads_map"]
    root = from_hex(heads["root"])
    stale = heads["stale_head"]
    stale_proof = next(p for p in heads["proofs"] if p["lot_key"] == stale["lot_key"])

    def args(proof: dict[str, Any]) -> tuple[int, list[bytes]]:
        return int(proof["bitmap"], 16), [from_hex(s) for s in proof["siblings"]]

    python = {
        "leaves": [
            to_hex(head_leaf(from_hex(u["lot_key"]), from_hex(u["head_hash"]), u["seq"]))
            for u in heads["updates"]
        ],
        "proofs": [
            to_hex(fold_head_proof(from_hex(p["lot_key"]), from_hex(p["leaf"]), *args(p)))
            for p in heads["proofs"]
        ],
        "absent": [verify_no_head(root, from_hex(p["lot_key"]), *args(p)) for p in heads["absent"]],
        "stale": verify_head(
            root, from_hex(stale["lot_key"]), from_hex(stale["head_hash"]), stale["seq"],
            *args(stale_proof),
        ),
        "shortProof": None,
    }  # fmt: skip
    browser = checker.evaluate(HEADS_JS, heads)

    assert python == browser
    assert browser["leaves"] == [u["head_leaf"] for u in heads["updates"]]
    assert browser["proofs"] == [heads["root"]] * len(heads["proofs"])
    assert browser["absent"] == [True] * len(heads["absent"]) and browser["stale"] is False
    assert stale["verifies_against_root"] is False


def test_batch_proofs_fold_alike(checker: Page) -> None:
    batch = V1["batch"]
    for item in batch["proofs"]:
        proof = [from_hex(node) for node in item["proof"]]
        python = verify_proof(proof, from_hex(batch["root"]), from_hex(item["leaf"]))
        browser = checker.evaluate(
            """([proof, root, leaf]) => { const P = globalThis.SenTraceVerify.proofs;
                 return P.verifyProof(proof.map(P.bytes32), P.bytes32(root), P.bytes32(leaf)); }""",
            [item["proof"], batch["root"], item["leaf"]],
        )
        wrong_root = checker.evaluate(
            """([proof, leaf]) => { const P = globalThis.SenTraceVerify.proofs;
                 const zero = new Uint8Array(32);
                 return P.verifyProof(proof.map(P.bytes32), zero, P.bytes32(leaf)); }""",
            [item["proof"], item["leaf"]],
        )
        assert python is browser is True and wrong_root is False


RECOVER_JS = """([typed, signature]) => { const V = globalThis.SenTraceVerify;
  return V.ecdsa.recoverAddress(V.typedData.typedDataDigest(typed), signature); }"""


def test_event_signatures_recover_the_same_signer(checker: Page) -> None:
    statements = {s["name"]: s for s in SIGNATURES["statements"]}
    events = [s for s in SIGNATURES["statements"] if s["kind"] == "event"]
    assert events
    for statement in events:
        typed = statement["typed_data"]
        python = recover_signer(typed, statement["signature"])
        browser = checker.evaluate(RECOVER_JS, [typed, statement["signature"]])
        assert python == browser == statement["signer"], statement["name"]
    for refused in SIGNATURES["refused"]:
        typed = statements[refused["statement"]]["typed_data"]
        assert recover_signer(typed, refused["signature"]) is None
        assert checker.evaluate(RECOVER_JS, [typed, refused["signature"]]) is None


JUDGE_JS = """async ([statement, contract, records, at, trusted]) => {
  const registry = {
    contract,
    signerOf: async (_orgKey, signer) => records[signer.toLowerCase()] || { since: 0, until: 0 },
  };
  const judged = await globalThis.SenTraceVerify.judgeSignature(statement, registry, at, trusted);
  return judged && { signer: judged.signer, found: judged.found };
}"""
DOMAINS_JS = (
    """([anchoring, trusted]) => globalThis.SenTraceVerify.signingDomains(anchoring, trusted)"""
)
#: The browser's names of ``signatures.Standing`` (its reason codes on the panel).
BROWSER_STANDING = {
    "signs": "signs",
    "signer_foreign": "signature",
    "signer_revoked": "revoked",
    "signer_later": "later",
}
#: The registry the vector statements are signed for, and two others on the same chain.
SIGNED_FOR = SIGNATURES["domain"]["verifyingContract"]
SUCCESSOR = "0x00000000000000000000000000000000DeaDBeef"
UNRELATED = "0x1111111111111111111111111111111111111111"


def test_signatures_for_a_replaced_registry_are_judged_alike(checker: Page) -> None:
    """docs/proof-rules.md 12.4: the anchoring registry's domain first, then the replaced ones;
    the first recovery the anchoring registry records as signing wins; an unlisted registry's
    signature recovers a stranger."""
    chain_id = SIGNATURES["domain"]["chainId"]
    documents = {event["event_hash"]: event for event in V2["events"]}
    cases = [  # (anchoring registry, retired, replaces, key record (since, until), expected)
        (SUCCESSOR, [], [SIGNED_FOR], (10, 0), "signs"),
        (SUCCESSOR, [UNRELATED], [SIGNED_FOR], (10, 0), "signs"),
        (SIGNED_FOR, [], [], (10, 0), "signs"),
        (SUCCESSOR, [], [], (10, 0), "signer_foreign"),
        (SUCCESSOR, [UNRELATED], [], (10, 0), "signer_foreign"),
        (SUCCESSOR, [], [SIGNED_FOR], (10, 50), "signer_revoked"),
        (SUCCESSOR, [], [SIGNED_FOR], (200, 0), "signer_later"),
    ]
    statements = [s for s in SIGNATURES["statements"] if s["kind"] == "event"]
    assert statements
    for statement in statements:
        event = documents[statement["typed_data"]["message"]["eventHash"]]
        document = event["document"]
        for anchoring, retired, replaces, (since, until), expected in cases:
            name = f"{statement['name']}: {anchoring} {retired} {replaces} {since}-{until}"
            records = {statement["signer"].lower(): {"since": since, "until": until}}
            domains = signing_domains(chain_id, anchoring, [*retired, *replaces])

            def record_of(signer: str, records: dict[str, Any] = records) -> SignerRecord:
                found = records.get(signer.lower(), {"since": 0, "until": 0})
                return SignerRecord(found["since"], found["until"], 1)

            python = judge(
                document, event["event_hash"], statement["signature"], domains, record_of, at=100
            )
            trusted = {"chainId": chain_id, "retired": retired, "replaces": replaces}
            js_statement = {
                "org": document["org"],
                "lotKey": event["lot_key"],
                "seq": document["seq"],
                "eventHash": event["event_hash"],
                "signature": statement["signature"],
            }
            browser = checker.evaluate(JUDGE_JS, [js_statement, anchoring, records, 100, trusted])
            assert python.standing == expected, name
            assert browser == {
                "signer": python.signer,
                "found": BROWSER_STANDING[expected],
            }, name
            assert (python.signer == statement["signer"]) is (expected != "signer_foreign"), name
            browser_domains = checker.evaluate(DOMAINS_JS, [anchoring, trusted])
            assert browser_domains == [d.verifying_contract for d in domains], name
