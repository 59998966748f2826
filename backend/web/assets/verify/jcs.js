// Canonical bytes (docs/proof-rules.md section 1): the NFC-normalised value written as RFC 8785
// (JCS) says, within SenTrace's value space. That space (strings, integers within ±(2^53 − 1),
// booleans, null, arrays, objects) keeps JCS simple: no floats means no ECMAScript number
// formatting beyond plain digits, and JSON.stringify of a string is exactly JCS's escaping
// (it is defined on ECMAScript's). Keys sort by UTF-16 code units, JavaScript's own order.
import { utf8ToBytes } from "@noble/hashes/utils.js";

/** Raised for a value outside the canonical value space; `path` names where. */
export class NonCanonical extends Error {
  constructor(path, problem) {
    super(`${path || "(document)"}: ${problem}`);
    this.path = path;
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function text(value, path) {
  if (LONE_SURROGATE.test(value)) throw new NonCanonical(path, "lone surrogate in text");
  return JSON.stringify(value.normalize("NFC"));
}

function write(value, path) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return text(value, path);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new NonCanonical(path, `not an integer within ±(2^53 − 1): ${value}`);
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (Array.isArray(value)) return `[${value.map((item, i) => write(item, `${path}[${i}]`)).join(",")}]`;
  if (typeof value === "object") {
    const members = new Map();
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) throw new NonCanonical(path, "lone surrogate in a key");
      const name = key.normalize("NFC");
      if (members.has(name)) throw new NonCanonical(path, `two keys equal after NFC: ${name}`);
      members.set(name, item);
    }
    const keys = [...members.keys()].sort();
    const at = (key) => (path ? `${path}.${key}` : key);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${write(members.get(key), at(key))}`).join(",")}}`;
  }
  throw new NonCanonical(path, `not a canonical value: ${typeof value}`);
}

/** The canonical JSON text of `value` (NFC, RFC 8785); NonCanonical when refused. */
export function canonicalText(value) {
  return write(value, "");
}

/** The canonical bytes (UTF-8) of `value`. */
export function canonicalBytes(value) {
  return utf8ToBytes(canonicalText(value));
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The object whose canonical bytes are exactly `raw`, refusing any other bytes: invalid UTF-8,
 * not JSON, not an object, or not their own canonical form (whitespace, key order, duplicate
 * keys, NFD text, `1.0`, `-0`, integers beyond 2^53 − 1), as section 3.5 asks.
 */
export function readCanonical(raw) {
  let source;
  try {
    source = STRICT_UTF8.decode(raw);
  } catch {
    throw new NonCanonical("", "not UTF-8");
  }
  let value;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new NonCanonical("", `not JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new NonCanonical("", "a document is an object");
  }
  if (canonicalText(value) !== source) {
    throw new NonCanonical("", "the bytes are not the canonical form of the document");
  }
  return value;
}
