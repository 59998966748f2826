// The key page (/app/keys): this browser's key for the signed-in person, set up by creating
// one under a passphrase or importing a keystore file, its backup download, its rotation, and
// locking it. The server learns only the address (POST /app/keys, /app/keys/rotate).
import { config, el, msg } from "./config.js";
import {
  createKey,
  currentKeystore,
  forgetKeystore,
  importKeystore,
  lock,
  unlockedKey,
} from "./keyring.js";
import { NotAKeystore, WrongPassphrase } from "./keystore.js";

const MIN_PASSPHRASE = 10;

function pageData() {
  const block = document.getElementById("sentrace-keys");
  return block ? JSON.parse(block.textContent) : null;
}

function fail(form, text) {
  const slot = form.querySelector(".form-message");
  slot.textContent = text;
  slot.hidden = false;
}

function busy(form, working) {
  form.querySelectorAll("button, input").forEach((node) => (node.disabled = working));
  const slot = form.querySelector(".form-message");
  if (working) {
    slot.textContent = msg("working");
    slot.hidden = false;
  }
}

function newPassphrase(form) {
  const first = form.elements.namedItem("passphrase").value;
  const again = form.elements.namedItem("passphrase_again").value;
  if (first.length < MIN_PASSPHRASE) throw new Error(msg("passphrase_short", { min: MIN_PASSPHRASE }));
  if (first !== again) throw new Error(msg("passphrase_mismatch"));
  return first;
}

/** Posts `fields` (with the CSRF token) to `url`; true when the server took them. */
async function postFields(url, fields) {
  const body = new URLSearchParams({ csrf_token: pageData().csrf_token, ...fields });
  const response = await fetch(url, {
    method: "POST",
    body: body.toString(),
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "text/html" },
    credentials: "same-origin",
  });
  if (response.redirected && response.ok) return response.url;
  const html = await response.text();
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const reason = parsed.querySelector(".field-error, .alert-error strong, .alert-error p");
  throw new Error(reason?.textContent?.trim() || msg("failed", { status: response.status }));
}

function download(row) {
  const blob = new Blob([JSON.stringify(row.keystore)], { type: "application/json" });
  const stamp = new Date().toISOString().replace(/:/g, "-");
  const link = el("a", {
    href: URL.createObjectURL(blob),
    download: `UTC--${stamp}--${row.address.slice(2).toLowerCase()}.json`,
  });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function statusOf(address) {
  const known = pageData().keys.find((key) => key.address.toLowerCase() === address.toLowerCase());
  return known ? known.status : "unregistered";
}

/** Stores a key, then registers it (or rotates to it); a refused registration forgets it again. */
async function keepAndRegister(form, owner, make, url, extra = {}) {
  busy(form, true);
  let row = null;
  try {
    row = await make();
    const alreadyKnown = statusOf(row.address) !== "unregistered";
    const target = alreadyKnown && !extra.old_address ? null : await postFields(url, { address: row.address, ...extra });
    window.location.assign(target ?? `${window.location.pathname}?done=key_restored`);
  } catch (error) {
    if (row && statusOf(row.address) === "unregistered") await forgetKeystore(owner, row.address);
    busy(form, false);
    if (error instanceof WrongPassphrase) fail(form, msg("wrong_passphrase"));
    else if (error instanceof NotAKeystore) fail(form, msg("not_a_keystore"));
    else fail(form, error.message);
  }
}

async function showBrowserKey(owner, data) {
  const row = await currentKeystore(owner);
  const here = document.getElementById("key-here");
  const none = document.getElementById("key-none");
  const rotate = document.getElementById("key-rotate");
  if (!row) {
    none.hidden = false;
    document.getElementById("key-setup").hidden = false;
    return null;
  }
  const status = statusOf(row.address);
  here.hidden = false;
  document.getElementById("key-here-address").textContent = row.address;
  document.getElementById("key-here-status").textContent = msg(`status_${status}`);
  document.getElementById("key-here-lock").textContent = (await unlockedKey(owner))
    ? msg("unlocked")
    : msg("locked");
  if (status === "revoked" || status === "unregistered") {
    document.getElementById("key-setup").hidden = false;
  } else {
    rotate.hidden = false;
  }
  void data;
  return row;
}

export async function initKeysPage() {
  const data = pageData();
  const { owner } = config();
  if (!data || !owner) return;
  const row = await showBrowserKey(owner, data);

  document.getElementById("key-download")?.addEventListener("click", () => row && download(row));
  document.getElementById("key-lock")?.addEventListener("click", () => {
    lock(owner);
    window.location.reload();
  });

  const create = document.getElementById("key-create");
  create?.addEventListener("submit", (event) => {
    event.preventDefault();
    let passphrase;
    try {
      passphrase = newPassphrase(create);
    } catch (error) {
      fail(create, error.message);
      return;
    }
    keepAndRegister(create, owner, () => createKey(owner, passphrase), data.register_url);
  });

  const imported = document.getElementById("key-import");
  imported?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = imported.elements.namedItem("keystore").files[0];
    const passphrase = imported.elements.namedItem("passphrase").value;
    if (!file) {
      fail(imported, msg("not_a_keystore"));
      return;
    }
    const text = await file.text();
    keepAndRegister(imported, owner, () => importKeystore(owner, text, passphrase), data.register_url);
  });

  const rotate = document.getElementById("key-rotate");
  rotate?.addEventListener("submit", (event) => {
    event.preventDefault();
    let passphrase;
    try {
      passphrase = newPassphrase(rotate);
    } catch (error) {
      fail(rotate, error.message);
      return;
    }
    keepAndRegister(rotate, owner, () => createKey(owner, passphrase), data.rotate_url, {
      old_address: row.address,
    });
  });
}
