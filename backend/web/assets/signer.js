// Signing a draft's statements with this browser's key: check each one is ours, hash it here,
// compare with the server's digest, sign.
import { signDigest } from "./ecdsa.js";
import { toHex } from "./hex.js";
import { checkStatement, typedDataDigest } from "./typed_data.js";

/** A statement the browser will not sign (wrong domain or type, digest mismatch). */
export class StatementRefused extends Error {}

/** The signatures of `sign` (the 428 draft's list), in order. */
export function signStatements(sign, privateKey) {
  return sign.map((item, index) => {
    let digest;
    try {
      checkStatement(item.typed_data);
      digest = typedDataDigest(item.typed_data);
    } catch (error) {
      throw new StatementRefused(`statement ${index}: ${error.message}`);
    }
    if (item.digest && toHex(digest) !== String(item.digest).toLowerCase()) {
      throw new StatementRefused(`statement ${index}: digest differs from the server's`);
    }
    return signDigest(digest, privateKey);
  });
}
