// The operator app's one script (bundled by scripts/build_web.py into static/build/app.js):
// form posts signed through the 428 protocol on every page, the key page's controls on
// /app/keys, and the signing functions for anyone to check against eth-account.
import { config } from "./config.js";
import * as ecdsa from "./ecdsa.js";
import { installFormSigning } from "./forms.js";
import * as hex from "./hex.js";
import { initKeysPage } from "./keys_page.js";
import * as keyring from "./keyring.js";
import * as keystore from "./keystore.js";
import * as typedData from "./typed_data.js";

globalThis.SenTrace = Object.freeze({ ecdsa, hex, keystore, keyring, typedData });

function firstLoginSetUp() {
  const { owner, custody, keys_url: keysUrl = "/app/keys" } = config();
  if (!owner || custody !== "browser" || window.location.pathname.startsWith(keysUrl)) return;
  const offered = `sentrace.setup-offered.${owner}`;
  if (sessionStorage.getItem(offered)) return;
  keyring.currentKeystore(owner).then((row) => {
    if (row) return;
    sessionStorage.setItem(offered, "1");
    window.location.assign(`${keysUrl}?setup=1`);
  });
}

function start() {
  installFormSigning();
  if (document.getElementById("sentrace-keys")) initKeysPage();
  else firstLoginSetUp();
  document.documentElement.dataset.signing = "ready";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
