// Everything about one bundle entry that needs no chain (docs/proof-rules.md 3.5, 2.2): the
// stored bytes read as a canonical document v2, their hash, the lot key, the leaf, and the
// Merkle proof folded to the batch root the entry names. What the entry states beside the
// bytes (its `document`, hash, key, leaf) must agree with what is recomputed from them.
import { NonCanonical, readCanonical } from "./jcs.js";
import { bytes32, equal, fromHex, keccak, leafHash, textKey, toHex, verifyProof } from "./proofs.js";
import { checkDocumentV2 } from "./shape.js";

/** Batch states in which a root is legitimately not on chain yet (it can only ever pend). */
export const NOT_YET_SENT = new Set(["pending", "sent"]);

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

/**
 * One entry read offline: `{entry, document, digest, lotKey, root, failure}`; `failure` is the
 * reason code when the entry does not hold (its document is then not trusted for anything).
 */
export function readEntry(entry) {
  const read = { entry, document: null, digest: null, lotKey: null, root: null, failure: null };
  const fail = (code) => {
    read.failure = read.failure || code;
    return read;
  };
  if (entry === null || typeof entry !== "object" || typeof entry.canonical_hex !== "string") {
    return fail("malformed");
  }
  let raw;
  try {
    raw = fromHex(entry.canonical_hex);
    read.document = checkDocumentV2(readCanonical(raw));
  } catch (error) {
    if (error instanceof NonCanonical || error instanceof Error) return fail("malformed");
    throw error;
  }
  read.digest = keccak(raw);
  read.lotKey = textKey(read.document.lot);
  if (!deepEqual(entry.document, read.document)) fail("edited");
  if (entry.canonical_json != null && entry.canonical_json !== new TextDecoder().decode(raw)) fail("edited");
  if (String(entry.event_hash).toLowerCase() !== toHex(read.digest)) fail("edited");
  if (entry.id !== read.document.id || entry.lot !== read.document.lot) fail("edited");
  if (String(entry.lot_key).toLowerCase() !== toHex(read.lotKey)) fail("edited");
  if (typeof entry.signature !== "string" || !entry.signature) fail("unsigned");
  if (entry.root == null) return read;
  try {
    read.root = bytes32(entry.root);
    const proof = (entry.proof || []).map(bytes32);
    const leaf = leafHash(read.lotKey, read.digest);
    if (!equal(bytes32(entry.leaf), leaf) || !verifyProof(proof, read.root, leaf)) fail("edited");
  } catch {
    fail("malformed");
  }
  return read;
}

/** The bundle's lots by code, with the entries read for each (by the lot their bytes name). */
export function lotsOf(bundle, reads) {
  const lots = new Map();
  for (const item of bundle.lots || []) {
    if (item && typeof item.code === "string") {
      lots.set(item.code, { code: item.code, item, key: textKey(item.code), reads: [], reasons: [] });
    }
  }
  for (const read of reads) {
    const code = read.document ? read.document.lot : String(read.entry?.lot);
    if (!lots.has(code)) {
      lots.set(code, { code, item: null, key: textKey(code), reads: [], reasons: [] });
    }
    lots.get(code).reads.push(read);
  }
  return lots;
}
