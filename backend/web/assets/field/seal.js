// The queue's entries at rest: AES-256-GCM under a key derived (HKDF-SHA-256) from the
// member's signing key, which exists in this tab only after its passphrase was typed (the
// keystore in IndexedDB is scrypt-encrypted). Without the passphrase an entry is ciphertext:
// a lost phone's queue cannot be read, and revoking the key (the Keys page) stops anything it
// could still sign. The salt is random per phone and owner; the owner and the entry's id are
// bound in as additional data, so a ciphertext cannot be moved to another entry or person.

const INFO = "sentrace/field-queue/v1";
const keys = new Map();

function bytes(text) {
  return new TextEncoder().encode(text);
}

/** The AES-GCM key of `owner` for the signing key `privateKey` (cached per tab, not extractable). */
export async function queueKey(owner, privateKey, salt) {
  const cacheKey = `${owner}|${Array.from(salt).join(",")}|${Array.from(privateKey.slice(0, 4)).join(",")}`;
  if (keys.has(cacheKey)) return keys.get(cacheKey);
  const material = await crypto.subtle.importKey("raw", privateKey, "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: bytes(`${INFO}|${owner}`) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
  keys.set(cacheKey, key);
  return key;
}

/** `{iv, sealed}` of `payload` (any JSON) for the entry `id`. */
export async function seal(key, id, owner, payload) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: bytes(`${owner}|${id}`) },
    key,
    bytes(JSON.stringify(payload)),
  );
  return { iv, sealed };
}

/** The payload of an entry; throws (OperationError) with the wrong key or altered bytes. */
export async function open(key, record) {
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: record.iv, additionalData: bytes(`${record.owner}|${record.id}`) },
    key,
    record.sealed,
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

export function forgetKeys() {
  keys.clear();
}
