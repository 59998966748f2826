// EIP-712 typed data hashing (eth_signTypedData_v4 JSON), as eth-account's encode_typed_data does.
//
// The server sends the full typed data of each statement; the browser hashes it itself rather
// than trusting a digest, and signs only the three statement types of the SenTrace domain.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { fromHex, toBigInt, toHex, word } from "./hex.js";

export const DOMAIN_NAME = "SenTrace";
export const DOMAIN_VERSION = "1";

/** The agreed types (field order matters: it is part of each type hash). */
export const TYPES = {
  EIP712Domain: [
    { name: "name", type: "string" },
    { name: "version", type: "string" },
    { name: "chainId", type: "uint256" },
    { name: "verifyingContract", type: "address" },
  ],
  Event: [
    { name: "orgKey", type: "bytes32" },
    { name: "lotKey", type: "bytes32" },
    { name: "seq", type: "uint64" },
    { name: "eventHash", type: "bytes32" },
  ],
  SignerChange: [
    { name: "orgKey", type: "bytes32" },
    { name: "signer", type: "address" },
    { name: "active", type: "bool" },
    { name: "custody", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
  Recall: [
    { name: "lotKey", type: "bytes32" },
    { name: "reasonHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** keccak256 of UTF-8 text (NFC-normalised, as the slug and lot rules say). */
export function keccakText(text) {
  return keccak_256(utf8ToBytes(text.normalize("NFC")));
}

/** orgKey of an organisation slug. */
export function orgKey(slug) {
  return toHex(keccakText(slug));
}

function dependencies(primary, types, found = new Set()) {
  if (found.has(primary) || !types[primary]) return found;
  found.add(primary);
  for (const field of types[primary]) dependencies(field.type.replace(/\[\d*\]$/, ""), types, found);
  return found;
}

/** `Event(bytes32 orgKey,...)` followed by the referenced struct types in alphabetical order. */
export function encodeType(primary, types) {
  const deps = [...dependencies(primary, types)].filter((name) => name !== primary).sort();
  return [primary, ...deps]
    .map((name) => `${name}(${types[name].map((f) => `${f.type} ${f.name}`).join(",")})`)
    .join("");
}

export function typeHash(primary, types) {
  return keccak_256(utf8ToBytes(encodeType(primary, types)));
}

function encodeValue(type, value, types) {
  if (types[type]) return hashStruct(type, value, types);
  const array = type.match(/^(.*)\[(\d*)\]$/);
  if (array) {
    if (!Array.isArray(value)) throw new Error(`${type} expects an array`);
    if (array[2] !== "" && value.length !== Number(array[2])) throw new Error(`${type}: wrong length`);
    return keccak_256(concatBytes(...value.map((item) => encodeValue(array[1], item, types))));
  }
  if (type === "string") return keccak_256(utf8ToBytes(String(value)));
  if (type === "bytes") return keccak_256(fromHex(value));
  if (type === "bool") {
    if (typeof value !== "boolean") throw new Error("bool expects true or false");
    return word(value ? 1n : 0n);
  }
  if (type === "address") {
    const bytes = fromHex(value);
    if (bytes.length !== 20) throw new Error("address must be 20 bytes");
    return concatBytes(new Uint8Array(12), bytes);
  }
  const fixed = type.match(/^bytes(\d+)$/);
  if (fixed) {
    const bytes = fromHex(value);
    if (bytes.length !== Number(fixed[1])) throw new Error(`${type}: wrong length`);
    return concatBytes(bytes, new Uint8Array(32 - bytes.length));
  }
  const int = type.match(/^(u?)int(\d*)$/);
  if (int) {
    const bits = BigInt(int[2] || 256);
    const n = toBigInt(value);
    const [low, high] = int[1] === "u" ? [0n, 1n << bits] : [-(1n << (bits - 1n)), 1n << (bits - 1n)];
    if (n < low || n >= high) throw new Error(`${type} out of range`);
    return word(n);
  }
  throw new Error(`unsupported EIP-712 type ${type}`);
}

/** hashStruct(s) = keccak256(typeHash ‖ encodeData(s)). */
export function hashStruct(primary, data, types) {
  const fields = types[primary];
  const parts = [typeHash(primary, types)];
  for (const field of fields) {
    if (!(field.name in data)) throw new Error(`${primary}.${field.name} is missing`);
    parts.push(encodeValue(field.type, data[field.name], types));
  }
  return keccak_256(concatBytes(...parts));
}

/** The 32-byte digest to sign: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(typed) {
  const { types, primaryType, domain, message } = typed;
  if (!types || !types.EIP712Domain) throw new Error("typed data without EIP712Domain");
  const separator = hashStruct("EIP712Domain", domain, types);
  return keccak_256(
    concatBytes(Uint8Array.of(0x19, 0x01), separator, hashStruct(primaryType, message, types)),
  );
}

/**
 * Refuses typed data that is not one of our statements: another domain name or version,
 * another primary type, or types that differ from the agreed strings.
 */
export function checkStatement(typed) {
  if (typed.domain?.name !== DOMAIN_NAME || typed.domain?.version !== DOMAIN_VERSION) {
    throw new Error("not a SenTrace statement (domain)");
  }
  const primary = typed.primaryType;
  if (!["Event", "SignerChange", "Recall"].includes(primary)) {
    throw new Error(`not a SenTrace statement (${primary})`);
  }
  for (const name of ["EIP712Domain", primary]) {
    if (encodeType(name, typed.types) !== encodeType(name, TYPES)) {
      throw new Error(`unexpected ${name} type`);
    }
  }
  return primary;
}

function typed(primaryType, domain, message) {
  return {
    types: { EIP712Domain: TYPES.EIP712Domain, [primaryType]: TYPES[primaryType] },
    primaryType,
    domain: {
      name: DOMAIN_NAME,
      version: DOMAIN_VERSION,
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract,
    },
    message,
  };
}

/** Typed data of an Event statement (domain: {chainId, verifyingContract}). */
export function eventTypedData(domain, { orgKey, lotKey, seq, eventHash }) {
  return typed("Event", domain, { orgKey, lotKey, seq, eventHash });
}

export function signerChangeTypedData(domain, { orgKey, signer, active, custody, nonce, deadline }) {
  return typed("SignerChange", domain, { orgKey, signer, active, custody, nonce, deadline });
}

export function recallTypedData(domain, { lotKey, reasonHash, nonce, deadline }) {
  return typed("Recall", domain, { lotKey, reasonHash, nonce, deadline });
}
