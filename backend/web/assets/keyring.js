// Where this browser keeps a person's signing key: the encrypted keystore in IndexedDB, and,
// once unlocked, the private key in sessionStorage, which belongs to this tab alone and is
// cleared when the tab closes or the person signs out (the passphrase is asked once per tab).
import { openDB } from "idb";
import { addressOf, newPrivateKey } from "./ecdsa.js";
import { fromHex, toHex } from "./hex.js";
import { decryptKeystore, encryptKeystore, parseKeystore } from "./keystore.js";

const DB_NAME = "sentrace-keys";
const STORE = "keystores";
const SESSION_PREFIX = "sentrace.key.";

let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        const store = database.createObjectStore(STORE, { keyPath: "id" });
        store.createIndex("owner", "owner");
      },
    });
  }
  return dbPromise;
}

/** One stored keystore: `owner` is "org-slug/username", `address` checksummed. */
function record(owner, keystore, address) {
  return {
    id: `${owner}|${address.toLowerCase()}`,
    owner,
    address,
    keystore,
    created_at: new Date().toISOString(),
  };
}

/** All keystores of `owner`, newest first. */
export async function keystoresOf(owner) {
  const rows = await (await db()).getAllFromIndex(STORE, "owner", owner);
  return rows.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

/** The newest keystore of `owner` (the one that signs), or null. */
export async function currentKeystore(owner) {
  return (await keystoresOf(owner))[0] ?? null;
}

async function saveKeystore(owner, keystore, address) {
  const row = record(owner, { ...keystore, address: address.slice(2).toLowerCase() }, address);
  await (await db()).put(STORE, row);
  return row;
}

export async function forgetKeystore(owner, address) {
  await (await db()).delete(STORE, `${owner}|${address.toLowerCase()}`);
  lock(owner);
}

/** A new key under `passphrase`, stored; returns the stored row. */
export async function createKey(owner, passphrase, options) {
  const privateKey = newPrivateKey();
  const keystore = await encryptKeystore(privateKey, passphrase, options);
  const row = await saveKeystore(owner, keystore, addressOf(privateKey));
  remember(owner, row.address, privateKey);
  return row;
}

/** An imported keystore, checked with its passphrase before it is kept. */
export async function importKeystore(owner, text, passphrase, options) {
  const keystore = parseKeystore(text);
  const privateKey = await decryptKeystore(keystore, passphrase, options);
  const row = await saveKeystore(owner, keystore, addressOf(privateKey));
  remember(owner, row.address, privateKey);
  return row;
}

function remember(owner, address, privateKey) {
  sessionStorage.setItem(SESSION_PREFIX + owner, JSON.stringify({ address, key: toHex(privateKey) }));
}

/** The unlocked private key of `owner`'s current keystore in this tab, or null. */
export async function unlockedKey(owner) {
  const current = await currentKeystore(owner);
  const held = sessionStorage.getItem(SESSION_PREFIX + owner);
  if (!current || !held) return null;
  const { address, key } = JSON.parse(held);
  if (address.toLowerCase() !== current.address.toLowerCase()) return null;
  return fromHex(key);
}

/** Decrypts the current keystore and keeps the key for this tab; throws WrongPassphrase. */
export async function unlock(owner, passphrase, options) {
  const current = await currentKeystore(owner);
  if (!current) throw new Error("no key in this browser");
  const privateKey = await decryptKeystore(current.keystore, passphrase, options);
  remember(owner, current.address, privateKey);
  return privateKey;
}

export function lock(owner) {
  sessionStorage.removeItem(SESSION_PREFIX + owner);
}

/** Forgets every unlocked key of this tab (on sign-out). */
export function lockAll() {
  for (const name of Object.keys(sessionStorage)) {
    if (name.startsWith(SESSION_PREFIX)) sessionStorage.removeItem(name);
  }
}
