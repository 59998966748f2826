// What the phone checks before it signs a draft the server sent for a queued entry: that the
// document is the entry (same type, lot, time and data), that its event_hash is keccak256 of
// the document's RFC 8785 canonical bytes (docs/proof-rules.md), and, in signer.js, that the
// EIP-712 digest is that of the typed data. A server that altered the entry gets no signature.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { toHex } from "../hex.js";
import { plainDecimal } from "./rules.js";

/** RFC 8785 for the values an event document holds (strings, integers, booleans, null,
 * arrays, objects): keys sorted by UTF-16 code units, ECMAScript number and string forms. */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("not a finite number");
    return JSON.stringify(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  throw new Error(`cannot canonicalise ${typeof value}`);
}

export function documentHash(document) {
  return toHex(keccak_256(utf8ToBytes(canonicalJson(document))));
}

function same(stated, entered) {
  if (typeof entered === "number" || typeof stated === "number") return Number(stated) === Number(entered);
  if (typeof entered !== "string" || typeof stated !== "string") return stated === entered;
  const a = stated.normalize("NFC").trim();
  const b = entered.normalize("NFC").trim();
  if (a === b) return true;
  const da = plainDecimal(a);
  return da !== null && da === plainDecimal(b);
}

/** Why the statement may not be signed for `item` (a queued entry's item), or null. */
export function statementProblem(statement, item, orgSlug) {
  if (statement.kind !== "event") return "not an event statement";
  const doc = statement.document;
  if (!doc) return "no document";
  if (documentHash(doc) !== String(statement.event_hash).toLowerCase()) return "event_hash is not the document's";
  if (doc.type !== item.type || doc.lot !== item.lot || statement.lot !== item.lot) return "another event";
  if (doc.org !== orgSlug || doc.occurred_at !== item.occurred_at) return "another author or time";
  const stated = doc.data ?? {};
  const entered = item.data ?? {};
  const keys = new Set([...Object.keys(stated), ...Object.keys(entered)]);
  for (const key of keys) {
    if (!same(stated[key], entered[key])) return `data.${key} differs`;
  }
  return null;
}

const DIARY_SCHEMA = "sentrace/farm-diary@1";
const COMMITMENT = /^0x[0-9a-f]{64}$/;

/** Why the statement of a farm diary entry may not be signed for `item` (an input applied to a
 * farm, docs/proof-rules.md section 13), or null: the document is the entry (farm, type,
 * author, time and every data member; the operator's name, a person's, is only a commitment),
 * its hash is its own, and the typed data signs that hash at that place in the farm's diary. */
export function diaryStatementProblem(statement, item, orgSlug) {
  if (statement.kind !== "event") return "not an event statement";
  const doc = statement.document;
  if (!doc || doc.schema !== DIARY_SCHEMA) return "not a farm diary document";
  const hash = documentHash(doc);
  if (hash !== String(statement.event_hash).toLowerCase()) return "event_hash is not the document's";
  const message = statement.typed_data?.message ?? {};
  const diaryKey = toHex(keccak_256(utf8ToBytes(`farm/${String(item.farm).normalize("NFC")}`)));
  if (String(message.eventHash).toLowerCase() !== hash || String(message.lotKey).toLowerCase() !== diaryKey) {
    return "the statement signs another entry";
  }
  if (Number(message.seq) !== doc.seq) return "the statement signs another place in the diary";
  if (doc.type !== item.type || doc.farm !== item.farm || statement.lot !== `farm/${item.farm}`) return "another entry";
  if (doc.org !== orgSlug || doc.occurred_at !== item.occurred_at) return "another author or time";
  const stated = { ...(doc.data ?? {}) };
  const entered = { ...(item.data ?? {}) };
  const operator = stated.operator;
  if (!operator || typeof operator !== "object" || !COMMITMENT.test(String(operator.commitment))) {
    return "data.operator is not a commitment";
  }
  delete stated.operator;
  delete entered.operator;
  const keys = new Set([...Object.keys(stated), ...Object.keys(entered)]);
  for (const key of keys) {
    if (!same(stated[key], entered[key])) return `data.${key} differs`;
  }
  return null;
}
