// The signing dialog: what will be signed, the passphrase when the key is locked, and the
// refusal when this browser holds no key. Built with DOM calls (no inline script or style).
import { config, el, msg } from "./config.js";

function short(hex) {
  return typeof hex === "string" && hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

function describe(item) {
  const message = item.typed_data?.message ?? {};
  if (item.kind === "recall") {
    return el(
      "li",
      { class: "sign-item" },
      el("strong", {}, msg("recall", { lot: item.lot ?? "" })),
      el("div", { class: "small muted" }, msg("reason_hash", { hash: short(message.reasonHash) })),
    );
  }
  const document_ = item.document;
  const type = document_?.event_type ?? document_?.type ?? "";
  return el(
    "li",
    { class: "sign-item" },
    el("strong", {}, msg("event", { lot: item.lot ?? "", seq: item.seq ?? message.seq, type })),
    el("div", { class: "small muted" }, msg("event_hash", { hash: short(item.event_hash ?? message.eventHash) })),
    document_
      ? el(
          "details",
          {},
          el("summary", {}, msg("show_document")),
          el("pre", { class: "small sign-document" }, JSON.stringify(document_, null, 2)),
        )
      : null,
  );
}

function open(dialog) {
  document.body.append(dialog);
  dialog.showModal();
  return () => {
    dialog.close();
    dialog.remove();
  };
}

/**
 * Shows the statements and resolves with the passphrase typed (or "" when the key is already
 * unlocked) once the person confirms; resolves null if they cancel.
 * `check(passphrase)` runs before closing; a thrown error is shown and the dialog stays.
 */
export function confirmSigning(sign, { locked, address, check }) {
  return new Promise((resolve) => {
    const error = el("p", { class: "field-error", role: "alert", hidden: true });
    const passphrase = locked
      ? el("input", { type: "password", id: "sign-passphrase", name: "passphrase", autocomplete: "current-password", required: true })
      : null;
    const confirm = el("button", { type: "submit", class: "btn btn-primary", id: "sign-confirm" }, msg("sign"));
    const cancel = el("button", { type: "button", class: "btn", id: "sign-cancel" }, msg("cancel"));
    const form = el(
      "form",
      { method: "dialog" },
      el("h2", {}, msg("title")),
      el("p", { class: "muted" }, msg("intro", { count: sign.length, address: short(address) })),
      el("ul", { class: "sign-list" }, sign.map(describe)),
      passphrase
        ? el("div", { class: "field" }, el("label", { for: "sign-passphrase" }, msg("passphrase")), passphrase)
        : null,
      error,
      el("div", { class: "actions" }, confirm, cancel),
    );
    const dialog = el("dialog", { class: "card signing-dialog", id: "signing-dialog", "aria-labelledby": "signing-title" }, form);
    form.querySelector("h2").id = "signing-title";
    const close = open(dialog);
    cancel.addEventListener("click", () => {
      close();
      resolve(null);
    });
    dialog.addEventListener("cancel", () => {
      close();
      resolve(null);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      confirm.disabled = true;
      error.hidden = true;
      confirm.textContent = msg("working");
      const typed = passphrase ? passphrase.value : "";
      try {
        await check(typed);
        close();
        resolve(typed);
      } catch (failure) {
        error.textContent = failure.userMessage ?? msg("wrong_passphrase");
        error.hidden = false;
        confirm.disabled = false;
        confirm.textContent = msg("sign");
        passphrase?.focus();
      }
    });
    (passphrase ?? confirm).focus();
  });
}

/** A message with one button (and a link to the key page when `toKeys`). */
export function tell(text, { title = msg("refused_title"), toKeys = false } = {}) {
  return new Promise((resolve) => {
    const ok = el("button", { type: "button", class: "btn", id: "sign-close" }, msg("close"));
    const dialog = el(
      "dialog",
      { class: "card signing-dialog", id: "signing-dialog", role: "alertdialog" },
      el("h2", {}, title),
      el("p", { class: "sign-refusal" }, text),
      el(
        "div",
        { class: "actions" },
        toKeys ? el("a", { class: "btn btn-primary", href: config().keys_url ?? "/app/keys" }, msg("go_to_keys")) : null,
        ok,
      ),
    );
    const close = open(dialog);
    const done = () => {
      close();
      resolve();
    };
    ok.addEventListener("click", done);
    dialog.addEventListener("cancel", done);
  });
}
