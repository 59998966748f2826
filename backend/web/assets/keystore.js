// Web3 Secret Storage (keystore v3) files, the format eth_account.Account.encrypt/decrypt uses.
//
// scrypt comes from @noble/hashes, AES-128-CTR from WebCrypto, the MAC is
// keccak256(derivedKey[16:32] ‖ ciphertext). Files made here use scrypt n = 2^15 (r 8, p 1):
// about 32 MiB and well under a second on a phone, where eth-account's default 2^18 takes
// several seconds; files with any n (and pbkdf2 files) still import.
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { addressOf } from "./ecdsa.js";
import { fromHex } from "./hex.js";

export const BROWSER_SCRYPT_N = 1 << 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const DKLEN = 32;

/** The passphrase is wrong, or the file was altered (the MAC does not match). */
export class WrongPassphrase extends Error {}
/** The file is not a keystore v3 this code can read. */
export class NotAKeystore extends Error {}

// UTF-8 as typed, no normalisation: eth-account encodes the passphrase the same way.
function passphraseBytes(passphrase) {
  return utf8ToBytes(passphrase);
}

async function aes128ctr(key, iv, data) {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "AES-CTR" }, false, [
    "encrypt",
  ]);
  const out = await crypto.subtle.encrypt({ name: "AES-CTR", counter: iv, length: 128 }, cryptoKey, data);
  return new Uint8Array(out);
}

function macOf(derived, ciphertext) {
  return keccak_256(concatBytes(derived.subarray(16, 32), ciphertext));
}

function uuid4() {
  const b = randomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = bytesToHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A keystore v3 object holding `privateKey` under `passphrase`. */
export async function encryptKeystore(privateKey, passphrase, { n = BROWSER_SCRYPT_N, onProgress } = {}) {
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = await scryptAsync(passphraseBytes(passphrase), salt, {
    N: n,
    r: SCRYPT_R,
    p: SCRYPT_P,
    dkLen: DKLEN,
    onProgress,
  });
  const ciphertext = await aes128ctr(derived.subarray(0, 16), iv, privateKey);
  return {
    address: addressOf(privateKey).slice(2).toLowerCase(),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: bytesToHex(iv) },
      ciphertext: bytesToHex(ciphertext),
      kdf: "scrypt",
      kdfparams: { dklen: DKLEN, n, p: SCRYPT_P, r: SCRYPT_R, salt: bytesToHex(salt) },
      mac: bytesToHex(macOf(derived, ciphertext)),
    },
    id: uuid4(),
    version: 3,
  };
}

/** A keystore from text or an object, checked for the fields decryption needs. */
export function parseKeystore(input) {
  let file;
  try {
    file = typeof input === "string" ? JSON.parse(input) : input;
  } catch {
    throw new NotAKeystore("not JSON");
  }
  const cryptoPart = file?.crypto ?? file?.Crypto;
  if (!file || Number(file.version) !== 3 || !cryptoPart) throw new NotAKeystore("not a keystore v3");
  if (cryptoPart.cipher !== "aes-128-ctr") throw new NotAKeystore(`cipher ${cryptoPart.cipher}`);
  if (!["scrypt", "pbkdf2"].includes(cryptoPart.kdf)) throw new NotAKeystore(`kdf ${cryptoPart.kdf}`);
  return { ...file, crypto: cryptoPart };
}

async function deriveKey(passphrase, kdf, params, onProgress) {
  const salt = fromHex(params.salt);
  if (kdf === "scrypt") {
    return scryptAsync(passphraseBytes(passphrase), salt, {
      N: Number(params.n),
      r: Number(params.r),
      p: Number(params.p),
      dkLen: Number(params.dklen),
      maxmem: 2 ** 31,
      onProgress,
    });
  }
  if (params.prf !== "hmac-sha256") throw new NotAKeystore(`prf ${params.prf}`);
  return pbkdf2Async(sha256, passphraseBytes(passphrase), salt, {
    c: Number(params.c),
    dkLen: Number(params.dklen),
  });
}

/** The private key (32 bytes) in `keystore`; WrongPassphrase when the MAC disagrees. */
export async function decryptKeystore(keystore, passphrase, { onProgress } = {}) {
  const file = parseKeystore(keystore);
  const c = file.crypto;
  const derived = await deriveKey(passphrase, c.kdf, c.kdfparams, onProgress);
  const ciphertext = fromHex(c.ciphertext);
  const mac = bytesToHex(macOf(derived, ciphertext));
  if (mac !== String(c.mac).toLowerCase()) throw new WrongPassphrase("wrong passphrase");
  const privateKey = await aes128ctr(derived.subarray(0, 16), fromHex(c.cipherparams.iv), ciphertext);
  if (file.address && addressOf(privateKey).slice(2).toLowerCase() !== String(file.address).toLowerCase().replace(/^0x/, "")) {
    throw new NotAKeystore("the key does not match the file's address");
  }
  return privateKey;
}
