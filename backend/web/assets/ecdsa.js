// secp256k1 signatures as Ethereum writes them: 65 bytes r‖s‖v, v ∈ {27, 28}, low s.
//
// noble signs with RFC 6979 deterministic nonces, as eth-account does, so the same key and
// digest give byte for byte the signature Python gives.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { fromHex, toHex } from "./hex.js";

/** EIP-55 mixed-case checksum of a 20-byte address. */
export function checksumAddress(address) {
  const lower = (typeof address === "string" ? address.replace(/^0x/i, "") : bytesToHex(address))
    .toLowerCase();
  if (!/^[0-9a-f]{40}$/.test(lower)) throw new Error("not an address");
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = "0x";
  for (let i = 0; i < 40; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

/** The checksummed address of an uncompressed or compressed public key. */
export function addressOfPublicKey(publicKey) {
  const point = secp256k1.Point.fromBytes(publicKey);
  const uncompressed = point.toBytes(false);
  return checksumAddress(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** The checksummed address of a 32-byte private key. */
export function addressOf(privateKey) {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKey, false));
}

/** A fresh private key from the browser's CSPRNG. */
export function newPrivateKey() {
  return secp256k1.utils.randomSecretKey();
}

/** Signs a 32-byte digest: `0x` + 130 hex digits (r‖s‖v). */
export function signDigest(digest, privateKey) {
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: "recovered", lowS: true });
  const v = recovered[0] + 27;
  return toHex(concatBytes(recovered.subarray(1, 65), Uint8Array.of(v)));
}

/** The checksummed signer of `signature` over `digest`, or null for a malformed or high-s one. */
export function recoverAddress(digest, signature) {
  try {
    const bytes = fromHex(signature);
    if (bytes.length !== 65) return null;
    const v = bytes[64];
    if (v !== 27 && v !== 28) return null;
    const sig = secp256k1.Signature.fromBytes(
      concatBytes(Uint8Array.of(v - 27), bytes.subarray(0, 64)),
      "recovered",
    );
    if (sig.s > secp256k1.Point.CURVE().n >> 1n) return null;
    return addressOfPublicKey(sig.recoverPublicKey(digest).toBytes(false));
  } catch {
    return null;
  }
}
