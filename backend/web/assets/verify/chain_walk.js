// Rules v2 completeness for one lot (docs/proof-rules.md section 7, steps 4, 5 and 7): the head
// the chain holds, proven by the bundle's head proof against the heads root read from the chain;
// then every document from that head down to seq 1 by `prev`, and those after the head
// continuing it, not anchored yet. Reasons are pushed on `lot.reasons` as {code, lot, seq}.
import { bytes32, equal, fromHex, headLeaf, toHex, verifyHead, verifyNoHead } from "./proofs.js";

function headProof(value) {
  if (!value || typeof value !== "object") return null;
  try {
    const bitmap = BigInt(toHex(bytes32(value.bitmap)));
    const siblings = (value.siblings || []).map(bytes32);
    return { bitmap, siblings, leaf: value.leaf == null ? null : bytes32(value.leaf) };
  } catch {
    return null;
  }
}

/** The lot's proven head {seq, read} (seq 0: nothing anchored), or null with the reason said. */
export async function provenHead(lot, headsRoot, registry) {
  const proof = headProof(lot.item?.head_proof);
  const reason = (code, seq) => {
    lot.reasons.push({ code, lot: lot.code, seq });
    return null;
  };
  if (proof === null) return reason("head");
  const { bitmap, siblings, leaf } = proof;
  if (leaf === null) {
    const holds = verifyNoHead(headsRoot, lot.key, bitmap, siblings) &&
      (await registry.verifyNoHead(lot.key, bitmap, siblings));
    return holds ? { seq: 0, read: null } : reason("head");
  }
  for (const read of lot.reads) {
    if (read.digest && equal(headLeaf(lot.key, read.digest, read.document.seq), leaf)) {
      const seq = read.document.seq;
      const holds = verifyHead(headsRoot, lot.key, read.digest, seq, bitmap, siblings) &&
        (await registry.verifyHead(lot.key, read.digest, seq, bitmap, siblings));
      return holds ? { seq, read } : reason("head");
    }
  }
  // The chain's head names a document the bundle does not carry: the newest is missing.
  const claimed = lot.item?.head_proof?.head?.seq;
  return reason("missing_newest", Number.isSafeInteger(claimed) ? claimed : undefined);
}

/**
 * Walks the lot from `head` (proven) down to seq 1 and on after it; returns the walked reads
 * (the lot's history, which ancestry may name) and marks reads after the head `afterHead`.
 */
export function walk(lot, head) {
  const reads = lot.reads.filter((read) => read.digest);
  const reason = (code, seq) => lot.reasons.push({ code, lot: lot.code, seq });
  const walked = [];
  let current = head.read;
  while (current) {
    walked.push(current);
    const seq = current.document.seq;
    if (seq === 1) break;
    const prev = fromHex(current.document.prev);
    const linked = reads.find((r) => equal(r.digest, prev) && r.document.seq === seq - 1);
    if (linked && !walked.includes(linked)) {
      current = linked;
      continue;
    }
    // A gap or a broken link: name it, then walk on from the next document below, as far
    // down as the bundle goes, so that the documents below are not also called unknown.
    const lower = reads.filter((r) => r.document.seq < seq && !walked.includes(r));
    const below = lower.reduce((best, r) => (best && best.document.seq >= r.document.seq ? best : r), null);
    reason("missing", below && below.document.seq === seq - 1 ? seq : seq - 1);
    current = below;
  }
  for (const read of walked) {
    if (read.root === null) reason("head", read.document.seq); // anchored by the chain's head, yet no batch
  }
  for (const read of reads) {
    if (!walked.includes(read) && read.document.seq <= head.seq) reason("added", read.document.seq);
  }
  let expectedSeq = head.seq + 1;
  let expectedPrev = head.read ? head.read.digest : null;
  const after = reads.filter((r) => r.document.seq > head.seq).sort((a, b) => a.document.seq - b.document.seq);
  for (const read of after) {
    const { seq, prev } = read.document;
    const linked = expectedPrev === null ? prev === null : prev !== null && equal(fromHex(prev), expectedPrev);
    if (seq !== expectedSeq) reason("missing", expectedSeq);
    else if (!linked) reason("missing", seq);
    read.afterHead = true;
    expectedSeq = seq + 1;
    expectedPrev = read.digest;
  }
  return [...walked, ...after];
}
