// The consumer page's own check (bundled into static/build/verify.js): fetch the lot's proof
// bundle from this server, then recompute and prove everything in the browser against the
// chain, read over the public JSON-RPC endpoints the page names (tried in order), with the
// registry of the server's deployment record. The page works without it; with it, a panel
// beside the server's verdict says what the phone itself found.
import * as ecdsa from "../ecdsa.js";
import * as hex from "../hex.js";
import * as typedData from "../typed_data.js";
import { judgeSignature, signingDomains, Unsupported, verifyBundle, WrongChain } from "./check.js";
import * as jcs from "./jcs.js";
import { Panel } from "./panel.js";
import * as proofs from "./proofs.js";
import { Rpc, RpcUnreachable } from "./rpc.js";
import * as shape from "./shape.js";

/** Fresh bundles tried when the chain's heads root moved on since the bundle was made. */
const STALE_RETRIES = 2;

async function fetchBundle(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "omit" });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/**
 * Runs the whole check with the page's `config`; returns {state, result?, host, ms, why?}.
 * A node that does not answer moves on to the next; none answering: state "not-run".
 */
export async function runCheck(config, { loadBundle = fetchBundle } = {}) {
  const trusted = {
    chainId: config.chain_id, contract: config.contract, retired: config.retired || [],
    replaces: config.replaces || [],
    confirmations: config.confirmations || 1,
  };
  let bundle;
  try {
    bundle = await loadBundle(config.proof_url);
  } catch {
    return { state: "not-run", why: "bundle" };
  }
  let failure = { state: "not-run", why: "unreachable", params: { host: "" } };
  for (const url of config.rpc_urls) {
    const rpc = new Rpc(url);
    const started = performance.now();
    try {
      let result = await verifyBundle(bundle, rpc, trusted);
      for (let retry = 0; retry < STALE_RETRIES && result.stale && result.verdict === "tampered"; retry++) {
        bundle = await loadBundle(config.proof_url);
        result = await verifyBundle(bundle, rpc, trusted);
      }
      return { state: "done", result, host: rpc.host, ms: performance.now() - started, requests: rpc.requests };
    } catch (error) {
      if (error instanceof Unsupported) return { state: "not-run", why: "unsupported" };
      if (error instanceof WrongChain) failure = { state: "not-run", why: "wrong_chain", params: { found: error.found } };
      else if (error instanceof RpcUnreachable || error instanceof TypeError) failure = { state: "not-run", why: "unreachable", params: { host: rpc.host } };
      else throw error;
    }
  }
  return failure;
}

async function start() {
  const source = document.getElementById("sentrace-browser-check");
  const section = document.getElementById("browser-check");
  if (!source || !section) return;
  const config = JSON.parse(source.textContent);
  const panel = new Panel(section, config.messages);
  panel.running();
  let outcome;
  try {
    outcome = await runCheck(config);
  } catch (error) {
    outcome = { state: "not-run", why: "unreachable", params: { host: String(error?.message || error) } };
  }
  if (outcome.state === "done") {
    panel.done(outcome.result, { host: outcome.host, ms: outcome.ms, serverVerdict: config.server_verdict, verdictNames: config.verdicts });
  } else {
    panel.notRun(outcome.why, outcome.params);
  }
  if (outcome.state === "done") {
    // In-page timing (performance.now), read by the benchmark: the verification itself, from
    // the bundle in hand to the verdict, chain reads included; and the JSON-RPC requests made.
    document.documentElement.dataset.browserCheckMs = outcome.ms.toFixed(2);
    document.documentElement.dataset.browserCheckRequests = String(outcome.requests);
  }
  document.documentElement.dataset.browserCheck = outcome.state;
}

// For anyone to check the checker (the tests run the shared golden vectors through these).
globalThis.SenTraceVerify = Object.freeze({
  ecdsa, hex, jcs, proofs, shape, typedData, verifyBundle, runCheck, Rpc, judgeSignature, signingDomains,
});

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
