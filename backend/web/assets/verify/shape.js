// The members and shapes of an event document v2 (docs/proof-rules.md 3.1–3.3), checked as
// backend/hashing/shape_v2.py checks them: a document of any other shape is malformed, so the
// browser never renders or trusts a member the rules do not define.
import { NonCanonical } from "./jcs.js";

export const SCHEMA_V2 = "sentrace/event@2";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH = /^0x[0-9a-f]{64}$/;
const GTIN14 = /^[0-9]{14}$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
const TIMESTAMP = /^([1-9][0-9]{3})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$/;

const fail = (path, problem) => {
  throw new NonCanonical(path, problem);
};
const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

const pattern = (regex, expected) => (value, path) => {
  if (typeof value !== "string" || !regex.test(value)) fail(path, `expected ${expected}`);
};
const text = (value, path) => {
  if (typeof value !== "string" || value === "") fail(path, "expected non-empty text");
};
const anObject = (value, path) => {
  if (!isObject(value)) fail(path, "expected an object");
};
const isCommitment = (value) =>
  isObject(value) && Object.keys(value).length === 1 && typeof value.commitment === "string" &&
  HASH.test(value.commitment);
const commitment = (value, path) => {
  if (!isCommitment(value)) fail(path, 'expected {"commitment": "0x…"}');
};

function timestamp(value, path) {
  const match = typeof value === "string" ? TIMESTAMP.exec(value) : null;
  if (match) {
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    const real = date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
      date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
    if (real) return;
  }
  fail(path, "expected YYYY-MM-DDTHH:MM:SSZ");
}

const nullable = (check) => (value, path) => value === null || check(value, path);
const orCommitment = (check) => (value, path) => isCommitment(value) || check(value, path);
const listOf = (check) => (value, path) => {
  if (!Array.isArray(value)) fail(path, "expected a list");
  value.forEach((item, i) => check(item, `${path}[${i}]`));
};

function members(required, optional = {}) {
  const allowed = { ...required, ...optional };
  return (value, path) => {
    anObject(value, path);
    const names = Object.keys(value);
    const missing = Object.keys(required).filter((name) => !names.includes(name));
    const unknown = names.filter((name) => !Object.hasOwn(allowed, name));
    if (missing.length || unknown.length) {
      fail(path, `missing members [${missing}], unknown members [${unknown}]`);
    }
    for (const name of names) allowed[name](value[name], path ? `${path}.${name}` : name);
  };
}

const hashHex = pattern(HASH, "0x and 64 lowercase hex digits");

const farm = members({
  code: text,
  name: orCommitment(text),
  commune: text,
  province: text,
  growing_area_code: nullable(text),
  certifications: listOf(anObject),
  point: nullable(commitment),
});

const lotFacts = members({
  product: members({
    code: text, name: text, name_en: nullable(text), gtin: nullable(pattern(GTIN14, "a GTIN-14")),
  }),
  producer: members({ org: text, name: text }),
  farm: nullable(farm),
  quantity: pattern(DECIMAL, "a decimal string such as 1250.5"),
  unit: text,
  harvested_at: nullable(timestamp),
});

function parents(value, path) {
  listOf(members({ lot: text, event_hash: hashHex }))(value, path);
  const lots = value.map((parent) => parent.lot);
  const sorted = [...new Set(lots)].sort(byCodePoint);
  if (!lots.length || lots.length !== sorted.length || lots.some((lot, i) => lot !== sorted[i])) {
    fail(path, "expected parents sorted by lot code, each lot once");
  }
}

/** Python sorts strings by code points; JavaScript's default is UTF-16 code units. */
function byCodePoint(a, b) {
  const x = [...a].map((c) => c.codePointAt(0));
  const y = [...b].map((c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const seq = (value, path) => {
  if (!Number.isSafeInteger(value) || value < 1) fail(path, "expected an integer from 1 to 2^53 − 1");
};

const documentV2 = members(
  {
    schema: (value, path) => value === SCHEMA_V2 || fail(path, `expected ${SCHEMA_V2}`),
    id: pattern(UUID, "a lowercase hyphenated UUID"),
    lot: text,
    seq,
    prev: nullable(hashHex),
    type: text,
    occurred_at: timestamp,
    org: text,
    org_name: text,
    location: nullable(anObject),
    data: anObject,
  },
  { lot_facts: lotFacts, parents },
);

/** Refuses (NonCanonical) a document v2 whose members or links do not fit section 3. */
export function checkDocumentV2(document) {
  documentV2(document, "");
  const first = document.seq === 1;
  if (first !== (document.prev === null)) fail("prev", "prev is null exactly when seq is 1");
  if (first !== Object.hasOwn(document, "lot_facts")) fail("lot_facts", "lot_facts is present exactly when seq is 1");
  if (!first && Object.hasOwn(document, "parents")) fail("parents", "only a lot's first event names its parents");
  return document;
}
