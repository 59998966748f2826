// The field app (/app/field): record harvests, inputs applied to a farm (its season diary),
// post-harvest treatments, quality checks and notes with
// or without a signal; entries are sealed in IndexedDB under the member's signing key and sent
// in order, signed on the phone, when the connection is back (or when asked).
import { currentKeystore, unlock, unlockedKey } from "../keyring.js";
import { WrongPassphrase } from "../keystore.js";
import { entryForm, refreshChoices } from "./entry_form.js";
import { addEntry, discardEntry, openQueue, readEntries } from "./queue.js";
import { queueView } from "./queue_view.js";
import { getMeta, setMeta, waitingCount } from "./store.js";
import { syncQueue } from "./sync.js";
import { el, localTime, setMessages, tr } from "./text.js";

const DATA_URL = "/app/field/data.json";
// ?lang=en on the page asks data.json for English (the server remembers it in the session).
const ASKED_LANG = new URLSearchParams(window.location.search).get("lang");
const FORMS = ["harvest", "input_application", "treatment", "quality_check", "note"];
const state = { data: null, queue: null, key: null, tab: "new", form: "harvest", syncing: false, signedOut: false };
const root = () => document.getElementById("field-app");

async function fetchData() {
  try {
    const url = ASKED_LANG ? `${DATA_URL}?lang=${encodeURIComponent(ASKED_LANG)}` : DATA_URL;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const type = response.headers.get("content-type") ?? "";
    if (response.redirected || !response.ok || !type.includes("application/json")) return { signedOut: true };
    const data = await response.json();
    await setMeta("data", data);
    return data;
  } catch {
    return null; // offline
  }
}

function notice(text, kind = "", { toKeys = false } = {}) {
  const slot = document.getElementById("field-notice");
  if (!slot) return;
  slot.className = `notice ${kind}`.trim();
  slot.hidden = !text;
  slot.replaceChildren(text ?? "");
  if (toKeys) slot.append(" ", el("a", { href: state.data?.keys_url ?? "/app/keys", id: "field-to-keys" }, tr("go_to_keys")));
}

async function updateBadge() {
  const badge = document.getElementById("field-badge");
  const count = state.data ? await waitingCount(state.data.owner) : 0;
  badge.textContent = String(count);
  badge.hidden = count === 0;
  badge.title = tr("waiting_badge", { count });
  badge.dataset.count = String(count);
}

function updateNet() {
  const net = document.getElementById("field-net");
  net.textContent = navigator.onLine ? tr("online") : tr("offline_short");
  net.title = navigator.onLine ? tr("online") : tr("offline");
  net.classList.toggle("offline", !navigator.onLine);
}

/** The unlocked queue; asks the passphrase when the key is locked (null if it cannot be had). */
async function ensureUnlocked() {
  const owner = state.data.owner;
  if (state.queue && state.key) return state.queue;
  let key = await unlockedKey(owner);
  if (!key) {
    if (!(await currentKeystore(owner))) {
      notice(tr("no_key"), "warn", { toKeys: true });
      return null;
    }
    key = await askPassphrase(owner);
    if (!key) return null;
  }
  state.key = key;
  state.queue = await openQueue(owner, key);
  return state.queue;
}

function askPassphrase(owner) {
  return new Promise((resolve) => {
    const input = el("input", { type: "password", id: "field-unlock-pass", autocomplete: "current-password" });
    const error = el("p", { class: "err", id: "field-unlock-err", "aria-live": "polite" });
    const ok = el("button", { type: "submit", class: "primary", id: "field-unlock-ok" }, tr("unlock"));
    const cancel = el("button", { type: "button", id: "field-unlock-cancel" }, "×");
    const form = el("form", { method: "dialog" },
      el("h2", {}, tr("unlock_title")), el("p", {}, tr("unlock_why")),
      el("label", { for: "field-unlock-pass" }, tr("passphrase"), input), error, el("div", { class: "tabs" }, cancel, ok));
    const dialog = el("dialog", { id: "field-unlock" }, form);
    document.body.append(dialog);
    const close = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    cancel.addEventListener("click", () => close(null));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      ok.disabled = true;
      try {
        close(await unlock(owner, input.value));
      } catch (caught) {
        error.textContent = caught instanceof WrongPassphrase ? tr("wrong_passphrase") : caught.message;
      } finally {
        ok.disabled = false;
      }
    });
    dialog.showModal();
    input.focus();
  });
}

/** Lots to choose from: those held (offline copy) and those harvested here, not yet sent. */
async function lotsWithQueued() {
  const lots = [...(state.data.lots ?? [])];
  if (!state.queue) return lots;
  const known = new Set(lots.map((lot) => lot.code));
  for (const entry of await readEntries(state.queue)) {
    const item = entry.payload?.item;
    if (item?.type !== "harvest" || entry.status === "refused" || known.has(item.lot)) continue;
    lots.unshift({ code: item.lot, product: item.data.product, quantity: item.data.quantity, unit: item.data.unit });
  }
  return lots;
}

/** Stores a checked entry; false (the form keeps what was typed) when the key stays locked. */
async function record(kind, payload) {
  const queue = await ensureUnlocked();
  if (!queue) return false;
  await addEntry(queue, kind, payload);
  notice(kind === "harvest" ? tr("saved_lot", { code: payload.item.lot }) : tr("saved"));
  await updateBadge();
  if (kind === "harvest") await drawNew();
  if (navigator.onLine) sync();
  return true;
}

/** Fresh data for the "new entry" tab: a form being filled keeps what was typed (a slow
 * data.json must not wipe a harvest half entered); otherwise the tab is drawn anew. */
async function refreshNew() {
  const form = document.getElementById(`field-form-${state.form}`);
  if (form) refreshChoices(form, { ...state.data, lots: await lotsWithQueued() });
  else await drawNew();
}

/** Shows the form `name`; tapping the form already shown keeps what is typed in it. */
function chooseForm(name) {
  if (state.form === name && document.getElementById(`field-form-${name}`)) return;
  state.form = name;
  drawNew();
}

async function drawNew() {
  const data = { ...state.data, lots: await lotsWithQueued() };
  const kinds = el("div", { class: "kinds", role: "tablist" }, FORMS.map((name) =>
    el("button", { type: "button", id: `field-kind-${name}`, "aria-pressed": String(state.form === name),
      onclick: () => chooseForm(name) }, tr(`form.${name}`))));
  const body = document.getElementById("field-body");
  body.replaceChildren(kinds, entryForm(state.form, data, record));
}

async function drawQueue() {
  const body = document.getElementById("field-body");
  if (!(await ensureUnlocked())) {
    body.replaceChildren(el("p", { class: "muted" }, tr("waiting_badge", { count: await waitingCount(state.data.owner) })));
    return;
  }
  const entries = await readEntries(state.queue);
  body.replaceChildren(queueView(entries, {
    lotUrl: (code) => `/app/lots/${encodeURIComponent(code)}`,
    onDiscard: async (entry) => {
      if (!window.confirm(tr("discard_confirm"))) return;
      await discardEntry(entry);
      await drawQueue();
      await updateBadge();
    },
  }));
}

async function draw() {
  document.getElementById("field-tab-new").setAttribute("aria-pressed", String(state.tab === "new"));
  document.getElementById("field-tab-queue").setAttribute("aria-pressed", String(state.tab === "queue"));
  if (state.tab === "new") await drawNew();
  else await drawQueue();
}

/** Sends the queue (when online, unlocked and signed in); refreshes the offline data after. */
async function sync({ asked = false } = {}) {
  if (state.syncing || !state.data) return;
  if (!navigator.onLine) {
    if (asked) notice(tr("offline"), "warn");
    return;
  }
  if ((await waitingCount(state.data.owner)) === 0) {
    if (asked) notice(tr("nothing_to_send"));
    return;
  }
  const queue = asked ? await ensureUnlocked() : state.queue;
  if (!queue || state.syncing) return;
  state.syncing = true;
  const button = document.getElementById("field-sync");
  button.disabled = true;
  button.textContent = tr("syncing");
  try {
    // A fresh copy first: the session's CSRF token and the lots held now.
    const latest = await fetchData();
    if (latest?.signedOut) {
      notice(tr("sign_in_again"), "warn");
      return;
    }
    if (latest) state.data = latest;
    const { counts, stopped } = await syncQueue(state.data, queue, state.key);
    if (stopped) notice(stopped.message, "bad");
    else notice(tr("synced", counts), counts.refused ? "warn" : "");
    const fresh = await fetchData();
    if (fresh && !fresh.signedOut) state.data = fresh;
  } finally {
    state.syncing = false;
    button.disabled = false;
    button.textContent = tr("sync");
    await updateBadge();
    if (state.tab === "queue") await drawQueue();
    root().dataset.synced = String(Date.now());
  }
}

function frame() {
  const tab = (name) => el("button", { type: "button", id: `field-tab-${name}`,
    onclick: () => { state.tab = name; draw(); } }, tr(`tab_${name}`));
  root().replaceChildren(
    el("p", { id: "field-notice", class: "notice", role: "status", hidden: true }),
    el("p", { class: "muted", id: "field-as-of" }, tr("data_as_of", { time: localTime(state.data.as_of) })),
    el("p", {}, el("a", { href: `?lang=${state.data.lang === "vi" ? "en" : "vi"}`, id: "field-lang" }, tr("lang_other"))),
    el("div", { class: "tabs" }, tab("new"), tab("queue")),
    el("div", { id: "field-body" }),
    el("div", { class: "sync" }, el("button", { type: "button", class: "primary", id: "field-sync",
      onclick: () => sync({ asked: true }) }, tr("sync"))),
  );
}

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/field/sw.js", { scope: "/app/field", type: "module" }).catch(() => {});
  }
  const cached = await getMeta("data");
  const fresh = fetchData();
  let data = cached ?? (await fresh);
  if (!data || data.signedOut) {
    root().replaceChildren(el("p", { class: "notice warn" }, "Đăng nhập để dùng sổ đồng ruộng / Sign in to use the field log "),
      el("a", { class: "btn primary", href: "/app/login?next=/app/field" }, "Đăng nhập / Sign in"));
    root().dataset.ready = "signed-out";
    return;
  }
  state.data = data;
  setMessages(data.messages);
  frame();
  updateNet();
  // Entries are sealed and signed with a key held in this browser: a custodial or
  // client-held organisation's members have none here.
  if (data.custody !== "browser") notice(tr("custodial"), "warn");
  else if (!(await currentKeystore(data.owner))) notice(tr("no_key"), "warn", { toKeys: true });
  if (await unlockedKey(data.owner)) await ensureUnlocked();
  await draw();
  await updateBadge();
  root().removeAttribute("aria-busy");
  root().dataset.ready = "true";
  window.addEventListener("online", () => { updateNet(); sync(); });
  window.addEventListener("offline", updateNet);
  fresh.then(async (latest) => {
    if (!latest) return;
    if (latest.signedOut) {
      state.signedOut = true;
      notice(tr("sign_in_again"), "warn");
      return;
    }
    if (latest.owner !== state.data.owner) { window.location.reload(); return; }
    const relabel = latest.lang !== state.data.lang;
    state.data = latest;
    setMessages(latest.messages);
    if (relabel) {
      frame();
      updateNet();
      await draw();
      await updateBadge();
    } else {
      document.getElementById("field-as-of").textContent = tr("data_as_of", { time: localTime(latest.as_of) });
      if (state.tab === "new") await refreshNew();
    }
    root().dataset.fresh = "true";
    if (state.queue) sync();
  });
}

/** A start that fails says so on the screen, instead of leaving the phone busy forever. */
function startOrSayWhy() {
  start().catch((error) => {
    root().replaceChildren(el("p", { class: "notice bad", role: "alert", id: "field-broken" },
      `Sổ đồng ruộng không mở được / The field log could not open: ${error?.message ?? error}`));
    root().removeAttribute("aria-busy");
    root().dataset.ready = "error";
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startOrSayWhy);
else startOrSayWhy();
