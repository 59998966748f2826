// Hashes and proofs of docs/proof-rules.md: lot keys, v1 leaves with OpenZeppelin's sorted-pair
// Merkle proofs (2.2), head leaves and the ordered sparse heads map of depth 256 (5.1–5.3).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { fromHex, toHex, word } from "../hex.js";

const ZERO = new Uint8Array(32);

export const keccak = (bytes) => keccak_256(bytes);

/** keccak256 of the UTF-8 of NFC text: a lot's (or an organisation's) key. */
export const textKey = (text) => keccak_256(utf8ToBytes(text.normalize("NFC")));

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function compare(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

const isZero = (bytes) => bytes.every((b) => b === 0);

/** leaf = keccak256(keccak256(lot_key ‖ event_hash)): OpenZeppelin's bytes32,bytes32 leaf. */
export const leafHash = (lotKey, eventHash) => keccak_256(keccak_256(concatBytes(lotKey, eventHash)));

/** node(a, b) = keccak256(min ‖ max): the sorted pair of OpenZeppelin's MerkleProof. */
export const sortedNode = (a, b) =>
  keccak_256(compare(a, b) <= 0 ? concatBytes(a, b) : concatBytes(b, a));

/** Whether folding `proof` (bytes32 siblings) from `leaf` gives `root`. */
export function verifyProof(proof, root, leaf) {
  let computed = leaf;
  for (const sibling of proof) computed = sortedNode(computed, sibling);
  return equal(computed, root);
}

/** head_leaf = keccak256(keccak256(lot_key ‖ head_hash ‖ uint256(seq))). */
export const headLeaf = (lotKey, headHash, seq) =>
  keccak_256(keccak_256(concatBytes(lotKey, headHash, word(BigInt(seq)))));

const headsNode = (left, right) =>
  isZero(left) && isZero(right) ? ZERO : keccak_256(concatBytes(left, right));

/** The heads root a head proof (bitmap as bigint, siblings) folds `leaf` to; null if malformed. */
export function foldHead(lotKey, leaf, bitmap, siblings) {
  const key = BigInt(toHex(lotKey));
  let node = leaf;
  let next = 0;
  for (let i = 0n; i < 256n; i++) {
    let sibling = ZERO;
    if ((bitmap >> i) & 1n) {
      if (next >= siblings.length) return null;
      sibling = siblings[next++];
    }
    node = (key >> i) & 1n ? headsNode(sibling, node) : headsNode(node, sibling);
  }
  return next === siblings.length ? node : null;
}

/** Whether (bitmap, siblings) proves head (head_hash, seq) of `lotKey` against `root`. */
export function verifyHead(root, lotKey, headHash, seq, bitmap, siblings) {
  const folded = foldHead(lotKey, headLeaf(lotKey, headHash, seq), bitmap, siblings);
  return folded !== null && equal(folded, root);
}

/** Whether (bitmap, siblings) proves that `lotKey` has no head in `root`. */
export function verifyNoHead(root, lotKey, bitmap, siblings) {
  const folded = foldHead(lotKey, ZERO, bitmap, siblings);
  return folded !== null && equal(folded, root);
}

/** bytes32 from hex, refusing any other length. */
export function bytes32(hex) {
  const bytes = fromHex(hex);
  if (bytes.length !== 32) throw new Error(`not 32 bytes: ${String(hex).slice(0, 20)}`);
  return bytes;
}

export { fromHex, toHex };
