// The offline queue: entries recorded on the phone, sealed (seal.js), sent in order (sync.js).
// Each entry's id is a random UUID made when it is recorded; it is the `Idempotency-Key` of
// every request that sends it, so a retry after a lost answer is replayed, never stored twice.
import { open, queueKey, seal } from "./seal.js";
import { deleteEntry, entriesOf, getMeta, putEntry, saltOf, setMeta } from "./store.js";

/** The unlocked queue of one person: `owner`, and the key their signing key derives. */
export async function openQueue(owner, privateKey) {
  const key = await queueKey(owner, privateKey, await saltOf(owner));
  return { owner, key };
}

async function nextOrder() {
  const order = ((await getMeta("order")) ?? 0) + 1;
  await setMeta("order", order);
  return order;
}

/** Records a new entry (status "waiting"); returns its id. */
export async function addEntry(queue, kind, payload) {
  const id = crypto.randomUUID();
  const { iv, sealed } = await seal(queue.key, id, queue.owner, payload);
  await putEntry({
    id,
    owner: queue.owner,
    order: await nextOrder(),
    kind,
    status: "waiting",
    iv,
    sealed,
    recorded_at: new Date().toISOString(),
  });
  return id;
}

/** Every entry of the queue's owner with its payload opened (`payload` null if it cannot be). */
export async function readEntries(queue) {
  const rows = await entriesOf(queue.owner);
  return Promise.all(
    rows.map(async (row) => {
      try {
        return { ...row, payload: await open(queue.key, row) };
      } catch {
        return { ...row, payload: null };
      }
    }),
  );
}

/** Stores `entry` with a new status and payload (sealed again under a fresh IV). */
export async function updateEntry(queue, entry, status, payload) {
  const { iv, sealed } = await seal(queue.key, entry.id, queue.owner, payload);
  const { payload: _dropped, ...row } = entry;
  await putEntry({ ...row, status, iv, sealed });
}

export async function discardEntry(entry) {
  await deleteEntry(entry.id);
}
