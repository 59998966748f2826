// The field app's IndexedDB: the queue (sealed entries, in the order they were recorded) and
// the offline copy of data.json. Only what the badge and the order need is kept in clear:
// id, owner, order, form kind, status, and which signing key sealed the entry.
import { openDB } from "idb";

const DB_NAME = "sentrace-field";
const ENTRIES = "entries";
const META = "meta";

let dbPromise = null;

function db() {
  if (!dbPromise) {
    dbPromise = openDB(DB_NAME, 1, {
      upgrade(database) {
        const entries = database.createObjectStore(ENTRIES, { keyPath: "id" });
        entries.createIndex("owner", "owner");
        database.createObjectStore(META);
      },
    });
  }
  return dbPromise;
}

export async function getMeta(name) {
  return (await db()).get(META, name);
}

export async function setMeta(name, value) {
  await (await db()).put(META, value, name);
}

/** The random HKDF salt of `owner` on this phone (made once). */
export async function saltOf(owner) {
  const name = `salt|${owner}`;
  let salt = await getMeta(name);
  if (!salt) {
    salt = crypto.getRandomValues(new Uint8Array(16));
    await setMeta(name, salt);
  }
  return salt;
}

/** Every entry of `owner`, oldest first. */
export async function entriesOf(owner) {
  const rows = await (await db()).getAllFromIndex(ENTRIES, "owner", owner);
  return rows.sort((a, b) => a.order - b.order);
}

export async function putEntry(record) {
  await (await db()).put(ENTRIES, record);
}

export async function deleteEntry(id) {
  await (await db()).delete(ENTRIES, id);
}

/** How many entries of `owner` wait to be sent. */
export async function waitingCount(owner) {
  return (await entriesOf(owner)).filter((row) => row.status === "waiting").length;
}
