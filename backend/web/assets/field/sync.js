// Sending the queue: oldest first, one entry per request to the batch endpoint (or, for an input
// applied to a farm, to that farm's diary), the entry's id
// as Idempotency-Key, through the 428 protocol (the server drafts the event; the phone checks
// the draft is its entry, signs it with the member's key, sends it again). An entry the server
// refuses keeps its place in the queue, marked refused with the server's message; a network
// failure, a server error or an ended session stops the round and leaves the rest waiting.
import { signStatements } from "../signer.js";
import { diaryStatementProblem, statementProblem } from "./jcs.js";
import { fromBase64 } from "./photo.js";
import { readEntries, updateEntry } from "./queue.js";
import { tr } from "./text.js";

const MAX_DRAFTS = 3;

/** The round stopped: the session ended (`signedOut`) or the network or server failed. */
export class SyncStopped extends Error {
  constructor(message, { signedOut = false } = {}) {
    super(message);
    this.signedOut = signedOut;
  }
}

async function jsonOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

async function stopOn(response, config) {
  if (response.redirected || response.status === 401) {
    throw new SyncStopped(tr("sign_in_again"), { signedOut: true });
  }
  if (response.status === 403) {
    // A CSRF token from an older session: not the entry's fault, so it is not refused.
    const body = await response.clone().json().catch(() => null);
    if (body?.field === config.csrf.header) throw new SyncStopped(tr("sign_in_again"), { signedOut: true });
  }
  if (response.status >= 500 || response.status === 429) {
    throw new SyncStopped(tr("failed", { status: response.status }));
  }
}

async function send(config, url, init) {
  try {
    return await fetch(url, { credentials: "same-origin", redirect: "follow", ...init });
  } catch (error) {
    throw new SyncStopped(tr("failed", { status: error.message }));
  }
}

async function uploadPhoto(config, photo) {
  const form = new FormData();
  form.append("csrf_token", config.csrf.token);
  form.append("photo", new Blob([fromBase64(photo.base64)], { type: photo.type }), "photo.jpg");
  const response = await send(config, config.photos_url, {
    method: "POST",
    body: form,
    headers: { Accept: "application/json" },
  });
  await stopOn(response, config);
  const body = await jsonOf(response);
  if (!response.ok || !body?.sha256) return { refused: body?.detail ?? tr("failed", { status: response.status }) };
  return { sha256: body.sha256 };
}

/** Where an item goes and what is sent: a lot's event to the batch endpoint, an input
 * applied to a farm to that farm's diary (`POST /api/v1/farms/{code}/inputs`). */
function requestOf(config, item) {
  if (item.target !== "farm_diary") {
    return { url: config.batch_url, body: JSON.stringify({ events: [item] }), problem: statementProblem };
  }
  const url = config.farm_inputs_url.replace("{farm}", encodeURIComponent(item.farm));
  const body = JSON.stringify({ ...item.data, applied_at: item.occurred_at });
  return { url, body, problem: diaryStatementProblem };
}

function acceptedOf(response, answer, item) {
  if (response.status !== 201 || !answer) return null;
  if (item.target === "farm_diary") return answer.entry_hash ? answer : null;
  return answer.events?.length === 1 ? answer.events[0] : null;
}

/** One entry through the protocol: {accepted: event or diary entry} or {refused: message, field}. */
async function sendEntry(config, entry, item, privateKey) {
  const { url, body, problem: problemOf } = requestOf(config, item);
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/json",
    "Idempotency-Key": entry.id,
    [config.csrf.header]: config.csrf.token,
  };
  let response = await send(config, url, { method: "POST", body, headers });
  for (let round = 0; round < MAX_DRAFTS; round++) {
    await stopOn(response, config);
    if (response.status !== 428 && response.status !== 409) break;
    const payload = await jsonOf(response);
    const draft = payload?.draft;
    if (!draft?.id || !Array.isArray(draft.sign) || draft.sign.length === 0) {
      return { refused: payload?.detail ?? tr("failed", { status: response.status }), field: payload?.field };
    }
    for (const statement of draft.sign) {
      const problem = problemOf(statement, item, config.org.slug);
      if (problem) return { refused: `${tr("draft_differs")}: ${problem}` };
    }
    const signatures = signStatements(draft.sign, privateKey);
    response = await send(config, url, {
      method: "POST",
      body,
      headers: { ...headers, "X-SenTrace-Draft": draft.id, "X-SenTrace-Signatures": signatures.join(",") },
    });
  }
  await stopOn(response, config);
  const answer = await jsonOf(response);
  const accepted = acceptedOf(response, answer, item);
  if (accepted) return { accepted };
  return { refused: answer?.detail ?? tr("failed", { status: response.status }), field: answer?.field };
}

/** Sends every waiting entry of `queue` in order; returns the counts of this round. */
export async function syncQueue(config, queue, privateKey, { onProgress } = {}) {
  const counts = { accepted: 0, refused: 0, waiting: 0 };
  const entries = (await readEntries(queue)).filter((entry) => entry.status === "waiting");
  let stopped = null;
  for (const entry of entries) {
    if (stopped || entry.payload === null) {
      counts.waiting += 1;
      continue;
    }
    const payload = entry.payload;
    try {
      if (payload.photo && !payload.item.data.photo_sha256) {
        const uploaded = await uploadPhoto(config, payload.photo);
        if (uploaded.refused) {
          await updateEntry(queue, entry, "refused", { ...payload, message: uploaded.refused });
          counts.refused += 1;
          continue;
        }
        // Kept before the entry is sent, so every retry sends the very same request.
        payload.item.data.photo_sha256 = uploaded.sha256;
        await updateEntry(queue, entry, "waiting", payload);
      }
      const outcome = await sendEntry(config, entry, payload.item, privateKey);
      if (outcome.accepted) {
        await updateEntry(queue, entry, "accepted", { ...payload, result: outcome.accepted, message: null });
        counts.accepted += 1;
      } else {
        await updateEntry(queue, entry, "refused", { ...payload, message: outcome.refused, field: outcome.field ?? null });
        counts.refused += 1;
      }
    } catch (error) {
      if (!(error instanceof SyncStopped)) throw error;
      stopped = error;
      counts.waiting += 1;
    }
    onProgress?.(counts);
  }
  return { counts, stopped };
}
