// Form posts that may need a signature (issue 15, the 428 protocol):
//   1. post the form with fetch and `Accept: application/json`;
//   2. a 428 answer carries a draft: show what will be signed, ask the passphrase if the key is
//      locked, sign each statement's typed data here;
//   3. post the same body again with X-SenTrace-Draft and X-SenTrace-Signatures; a 409 brings a
//      fresh draft (the lot moved on meanwhile) and the loop signs that one;
//   4. follow the redirect, or show the page the server answered (a form with its errors).
// A browser without a key gets a refusal in the person's language instead of a failed write.
import { config, msg } from "./config.js";
import { confirmSigning, tell } from "./dialog.js";
import { currentKeystore, lockAll, unlock, unlockedKey } from "./keyring.js";
import { WrongPassphrase } from "./keystore.js";
import { signStatements, StatementRefused } from "./signer.js";

const MAX_DRAFTS = 3;
const SKIP = ["/app/login", "/app/logout", "/app/keys"];

function bodyOf(form, submitter) {
  const data = new FormData(form, submitter ?? undefined);
  const hasFile = [...data.values()].some((value) => value instanceof File);
  if (hasFile) return data;
  return new URLSearchParams(data).toString();
}

function post(url, body, extraHeaders = {}) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (typeof body === "string") headers["Content-Type"] = "application/x-www-form-urlencoded";
  return fetch(url, { method: "POST", body, headers, credentials: "same-origin", redirect: "follow" });
}

async function jsonOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** Puts the server's HTML answer in place of this page (a form shown again with its errors). */
function showPage(html, url) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  document.title = parsed.title;
  document.body.replaceWith(document.adoptNode(parsed.body));
  if (url) history.replaceState(null, "", url);
  document.dispatchEvent(new CustomEvent("sentrace:page"));
}

async function signatures(draft) {
  const { owner } = config();
  const stored = await currentKeystore(owner);
  if (!stored) {
    await tell(msg("no_key"), { toKeys: true });
    return null;
  }
  let key = await unlockedKey(owner);
  const passphrase = await confirmSigning(draft.sign, {
    locked: key === null,
    address: stored.address,
    check: async (typed) => {
      if (key === null) {
        try {
          key = await unlock(owner, typed);
        } catch (error) {
          if (error instanceof WrongPassphrase) error.userMessage = msg("wrong_passphrase");
          throw error;
        }
      }
    },
  });
  if (passphrase === null) return null;
  return signStatements(draft.sign, key);
}

/** Saves a file the server answered with (a label sheet), under the name it gave. */
async function saveAttachment(response, disposition) {
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? "download";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function finish(response) {
  const disposition = response.headers.get("content-disposition") ?? "";
  if (response.ok && disposition.startsWith("attachment")) {
    await saveAttachment(response, disposition);
    return;
  }
  if (response.redirected) {
    window.location.assign(response.url);
    return;
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.includes("text/html")) {
    showPage(await response.text(), response.url);
    return;
  }
  const payload = await jsonOf(response);
  if (response.ok && payload?.location) {
    window.location.assign(payload.location);
    return;
  }
  const detail = payload?.detail;
  const text = typeof detail === "string" ? detail : msg("failed", { status: response.status });
  await tell(text, { toKeys: response.status === 428 || /signatures/.test(payload?.field ?? "") });
}

/** Sends `form` through the 428 protocol. */
export async function submitSigned(form, submitter) {
  const url = form.action;
  const body = bodyOf(form, submitter);
  let response = await post(url, body);
  for (let round = 0; round < MAX_DRAFTS; round++) {
    if (response.status !== 428 && response.status !== 409) break;
    const payload = await jsonOf(response);
    const draft = payload?.draft;
    if (!draft?.id || !Array.isArray(draft.sign)) break;
    let signed;
    try {
      signed = await signatures(draft);
    } catch (error) {
      if (error instanceof StatementRefused) {
        await tell(msg("refused_statement", { reason: error.message }));
        return;
      }
      throw error;
    }
    if (signed === null) return;
    response = await post(url, body, {
      "X-SenTrace-Draft": draft.id,
      "X-SenTrace-Signatures": signed.join(","),
    });
  }
  await finish(response);
}

function intercepts(form) {
  if ((form.getAttribute("method") ?? "get").toLowerCase() !== "post") return false;
  if (form.hasAttribute("data-no-sign")) return false;
  const path = new URL(form.action, window.location.href).pathname;
  return !SKIP.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Shows, above each write form, that this browser cannot sign yet. */
async function warnWithoutKey() {
  const { owner, custody } = config();
  if (!owner || custody !== "browser") return;
  if (await currentKeystore(owner)) return;
  for (const form of document.querySelectorAll("form[data-writes], main form[method=post]")) {
    if (!intercepts(form) || form.previousElementSibling?.classList.contains("sign-missing")) continue;
    const notice = document.createElement("div");
    notice.className = "alert alert-warn sign-missing";
    notice.setAttribute("role", "alert");
    const link = document.createElement("a");
    link.href = config().keys_url ?? "/app/keys";
    link.textContent = msg("go_to_keys");
    notice.append(msg("no_key_banner"), " ", link);
    form.before(notice);
  }
}

/** Listens to every form post of the page (once per document). */
export function installFormSigning() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const path = new URL(form.action, window.location.href).pathname;
    if (path === "/app/logout") {
      lockAll();
      return;
    }
    if (!intercepts(form) || event.defaultPrevented) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    buttons.forEach((button) => (button.disabled = true));
    submitSigned(form, event.submitter)
      .catch((error) => tell(msg("failed_detail", { reason: error.message })))
      .finally(() => buttons.forEach((button) => (button.disabled = false)));
  });
  warnWithoutKey();
  document.addEventListener("sentrace:page", warnWithoutKey);
}
