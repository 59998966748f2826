// The browser's own verdict on a proof bundle (docs/proof-rules.md section 7), read against the
// chain over JSON-RPC. The registry is the one the page's deployment record names (`trusted`),
// never the bundle's: a bundle naming another registry or chain fails. Everything is read at
// one block: the heads root, each batch root's anchor (on the registry in use, then on each
// retired one), each key's record, each lot's recall. A signature may name the registry holding
// the anchor or one the deployment replaced; the key's record is read on the former.
import { recoverAddress } from "../ecdsa.js";
import { eventTypedData, orgKey, typedDataDigest } from "../typed_data.js";
import { walk, provenHead } from "./chain_walk.js";
import { lotsOf, NOT_YET_SENT, readEntry } from "./documents.js";
import { textKey, toHex } from "./proofs.js";
import { Registry } from "./rpc.js";

export const BUNDLE_FORMAT_V2 = "sentrace/proof-bundle@2";
const RULES_V2 = "sentrace/event@2";
const ORDER = ["verified", "pending", "recalled", "tampered"];
const worst = (a, b) => (ORDER.indexOf(a) >= ORDER.indexOf(b) ? a : b);

const sameAddress = (a, b) =>
  typeof a === "string" && typeof b === "string" && /^0x[0-9a-fA-F]{40}$/.test(a) &&
  a.toLowerCase() === b.toLowerCase();

/** The outcome when a bundle cannot be checked in the browser at all (rules v1 records). */
export class Unsupported extends Error {}

/** Whether a key's record lets it sign at block time `at` (null: not anchored, judged now). */
export function standing(since, until, at) {
  if (since === 0) return at === null ? "unregistered" : "signature";
  if (until !== 0 && (at === null || until <= at)) return "revoked";
  if (at !== null && since > at) return "later";
  return "signs";
}

/**
 * Verifies `bundle` against the chain behind `rpc`; `trusted` = {chainId, contract, retired,
 * replaces, confirmations}. Returns {verdict, reasons, lots, events, block, headsRootClaimed, stale}.
 * Throws RpcUnreachable when the node does not answer, Unsupported for a rules v1 bundle.
 */
export async function verifyBundle(bundle, rpc, trusted) {
  if (bundle?.format !== BUNDLE_FORMAT_V2 || !Array.isArray(bundle.events)) throw new Unsupported("not a rules v2 bundle");
  if ((bundle.lots || []).some((item) => item?.rules !== RULES_V2)) throw new Unsupported("a lot recorded under rules v1");
  const reasons = [];
  const addresses = [trusted.contract, ...(trusted.retired || [])];
  if (bundle.chain?.chain_id !== trusted.chainId || !addresses.some((a) => sameAddress(a, bundle.chain?.contract_address))) {
    reasons.push({ code: "contract" });
  }
  const [chainId, latest] = await Promise.all([rpc.chainId(), rpc.blockNumber()]);
  if (chainId !== trusted.chainId) throw new WrongChain(chainId);
  const registries = addresses.map((address) => new Registry(rpc, address, latest));
  const finalBlock = Math.max(0, latest - Math.max(1, trusted.confirmations || 1) + 1);
  const finalRegistries = addresses.map((address) => new Registry(rpc, address, finalBlock));
  const reads = bundle.events.map(readEntry);
  const lots = lotsOf(bundle, reads);
  const headsRoot = await registries[0].headsRoot();
  const stale = typeof bundle.heads?.heads_root === "string" && bundle.heads.heads_root.toLowerCase() !== toHex(headsRoot);
  const histories = new Map();
  await Promise.all([...lots.values()].map(async (lot) => {
    const head = await provenHead(lot, headsRoot, registries[0]);
    histories.set(lot.code, new Set(head ? walk(lot, head).map((r) => toHex(r.digest)) : []));
  }));
  await Promise.all(reads.map((read) => checkOnChain(read, registries, finalRegistries, trusted)));
  await checkRecalls(lots, registries);
  checkAncestry(bundle, lots, histories);
  return summarise(bundle, lots, reads, reasons, { block: latest, stale });
}

/** The public node serves another chain than the deployment record's. */
export class WrongChain extends Error {
  constructor(found) {
    super(`chain ${found}`);
    this.found = found;
  }
}

async function anchorOf(root, registries) {
  for (let i = 0; i < registries.length; i++) {
    const at = await registries[i].anchoredAt(root);
    if (at !== 0) return { index: i, at };
  }
  return null;
}

async function checkOnChain(read, registries, finalRegistries, trusted) {
  if (!read.document) return;
  read.status = "pending";
  let registry = registries[0];
  let at = null;
  if (read.root !== null) {
    const anchor = await anchorOf(read.root, registries);
    if (anchor === null) {
      if (!NOT_YET_SENT.has(read.entry.batch_status)) read.failure = read.failure || "root_absent";
    } else {
      registry = registries[anchor.index];
      at = anchor.at;
      const final = (await finalRegistries[anchor.index].anchoredAt(read.root)) !== 0;
      read.status = final ? "verified" : "pending";
    }
  }
  if (read.failure === "unsigned") return;
  const document = read.document;
  const statement = {
    org: document.org, lotKey: toHex(read.lotKey), seq: document.seq, eventHash: toHex(read.digest),
    signature: read.entry.signature,
  };
  const chosen = await judgeSignature(statement, registry, at, trusted);
  if (chosen === null) {
    read.failure = read.failure || "signature";
    return;
  }
  read.signer = chosen.signer;
  if (chosen.found === "unregistered") read.status = "pending";
  else if (chosen.found !== "signs") read.failure = read.failure || chosen.found;
}

/**
 * The domains a signature may name (docs/proof-rules.md section 12.4): the registry holding the
 * anchor, then the registries the deployment replaced (`trusted.retired`, `trusted.replaces`).
 */
export function signingDomains(anchoring, trusted) {
  const seen = [];
  for (const address of [anchoring, ...(trusted.retired || []), ...(trusted.replaces || [])]) {
    if (!seen.some((a) => sameAddress(a, address))) seen.push(address);
  }
  return seen;
}

/**
 * Who signed `statement` ({org, lotKey, seq, eventHash, signature}; hex keys and hash): the
 * first recovery that `registry` (the one holding the anchor, `{contract, signerOf}`) records
 * as signing for the organisation at `at`; failing that, the first it knows for the
 * organisation at all, else the first recovered ({signer, since, found}); null when the
 * signature recovers to no one. Every standing is read on `registry`, whichever domain the
 * signature names.
 */
export async function judgeSignature(statement, registry, at, trusted) {
  const { org, lotKey, seq, eventHash, signature } = statement;
  let chosen = null;
  for (const verifyingContract of signingDomains(registry.contract, trusted)) {
    const typed = eventTypedData({ chainId: trusted.chainId, verifyingContract }, {
      orgKey: orgKey(org), lotKey, seq, eventHash,
    });
    const signer = recoverAddress(typedDataDigest(typed), signature);
    if (signer === null) {
      if (chosen === null) return null; // malformed: no domain recovers anyone
      continue;
    }
    const { since, until } = await registry.signerOf(textKey(org), signer);
    const judged = { signer, since, found: standing(since, until, at) };
    if (judged.found === "signs") return judged;
    if (chosen === null || (chosen.since === 0 && since !== 0)) chosen = judged;
  }
  return chosen;
}

async function checkRecalls(lots, registries) {
  await Promise.all([...lots.values()].map(async (lot) => {
    for (const registry of registries) if (await registry.isRecalled(lot.key)) lot.recalled = true;
  }));
}

/** Every parent a lot's first document names is in the bundle, with that event in its history. */
function checkAncestry(bundle, lots, histories) {
  const own = String(bundle.lot);
  const proven = new Set([own]);
  const frontier = [own];
  while (frontier.length) {
    const lot = lots.get(frontier.pop());
    const first = lot?.reads.find((r) => r.document && r.document.seq === 1);
    for (const parent of first?.document.parents || []) {
      if (!histories.get(parent.lot)?.has(parent.event_hash)) {
        lot.reasons.push({ code: "ancestry", lot: lot.code, parent: parent.lot });
      }
      if (!proven.has(parent.lot)) {
        proven.add(parent.lot);
        frontier.push(parent.lot);
      }
    }
  }
  for (const [code, lot] of lots) if (!proven.has(code)) lot.reasons.push({ code: "ancestry", lot: code });
}

function summarise(bundle, lots, reads, reasons, { block, stale }) {
  const summary = [];
  let verdict = reasons.length ? "tampered" : "verified";
  for (const lot of lots.values()) {
    let lotVerdict = "verified";
    for (const read of lot.reads) {
      if (read.failure) lot.reasons.push({ code: read.failure, lot: lot.code, seq: read.document?.seq });
      // Anchored and final, yet after the head the chain holds: the anchorer would have moved it.
      else if (read.afterHead && read.status === "verified") lot.reasons.push({ code: "head", lot: lot.code, seq: read.document.seq });
      else lotVerdict = worst(lotVerdict, read.afterHead ? "pending" : read.status || "pending");
      if (!read.failure && read.document?.type === "recall" && read.status === "verified") lot.recalled = true;
    }
    if (lot.recalled) lotVerdict = worst(lotVerdict, "recalled");
    if (lot.reasons.length) lotVerdict = "tampered";
    if (!lot.reads.length && !lot.reasons.length) lotVerdict = worst(lotVerdict, "pending");
    reasons.push(...lot.reasons);
    summary.push({ code: lot.code, verdict: lotVerdict, events: lot.reads.length });
    verdict = worst(verdict, lotVerdict);
  }
  return { verdict, reasons, lots: summary, events: reads.length, block, stale, lot: bundle.lot };
}
