// Hex and byte helpers shared by the signing modules (0x-prefixed lowercase hex on the wire).
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

/** `0x` + lowercase hex of `bytes`. */
export function toHex(bytes) {
  return "0x" + bytesToHex(bytes);
}

/** Bytes of a hex string, with or without `0x`; refuses odd lengths and non-hex digits. */
export function fromHex(text) {
  if (typeof text !== "string") throw new TypeError("expected a hex string");
  const body = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new Error(`not a hex string: ${text.slice(0, 20)}`);
  }
  return hexToBytes(body.toLowerCase());
}

/** A big integer from a number, a decimal string, a `0x` string or a bigint. */
export function toBigInt(value) {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`unsafe integer ${value}: send it as a string`);
    return BigInt(value);
  }
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|-?[0-9]+)$/.test(value)) return BigInt(value);
  if (typeof value === "boolean") return value ? 1n : 0n;
  throw new Error(`not an integer: ${String(value)}`);
}

/** `value` as a 32-byte big-endian word (two's complement for negatives). */
export function word(value) {
  let n = toBigInt(value);
  if (n < 0n) n = (1n << 256n) + n;
  if (n < 0n || n >= 1n << 256n) throw new Error("integer out of 256-bit range");
  return fromHex(n.toString(16).padStart(64, "0"));
}
