// Reading the registry straight from a public JSON-RPC node: eth_call with the ABI encoded by
// hand (a handful of view functions, all static words plus one bytes32[]), no library. Calls
// made while the verifier works through one step are sent together as one JSON-RPC batch, and
// an identical call is asked once, so a lot with ancestors costs a few round trips on a phone.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { fromHex, toHex, word } from "../hex.js";

export const RPC_TIMEOUT_MS = 10000;
/** Calls per batch request: public nodes cap batches (commonly at 50–100 calls). */
const BATCH_LIMIT = 40;

/** The node did not answer, or answered with an error: the browser check cannot run. */
export class RpcUnreachable extends Error {}

const selector = (signature) => keccak_256(utf8ToBytes(signature)).subarray(0, 4);

const SELECTORS = {
  headsRoot: selector("headsRoot()"),
  anchorOf: selector("anchorOf(bytes32)"),
  isRecalled: selector("isRecalled(bytes32)"),
  signerOf: selector("signerOf(bytes32,address)"),
  verifyHead: selector("verifyHead(bytes32,bytes32,uint64,uint256,bytes32[])"),
  verifyNoHead: selector("verifyNoHead(bytes32,uint256,bytes32[])"),
};

const address = (text) => {
  const bytes = fromHex(text);
  if (bytes.length !== 20) throw new Error("not an address");
  return concatBytes(new Uint8Array(12), bytes);
};

/** ABI encoding of static words followed by one dynamic bytes32[] (the head proofs' shape). */
function withArray(words, array) {
  const offset = word(BigInt(32 * (words.length + 1)));
  return concatBytes(...words, offset, word(BigInt(array.length)), ...array);
}

function words(hex) {
  const bytes = fromHex(hex);
  if (bytes.length % 32 !== 0) throw new RpcUnreachable("malformed eth_call answer");
  const out = [];
  for (let i = 0; i < bytes.length; i += 32) out.push(bytes.subarray(i, i + 32));
  return out;
}

const uint = (w) => BigInt("0x" + bytesToHex(w));

/** A JSON-RPC endpoint; `send` batches every request issued before the next task runs. */
export class Rpc {
  constructor(url, { timeoutMs = RPC_TIMEOUT_MS } = {}) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.queue = [];
    this.nextId = 1;
    this.requests = 0;
  }

  get host() {
    return new URL(this.url).host;
  }

  send(method, params = []) {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, method, params, resolve, reject });
      if (this.queue.length === 1) setTimeout(() => this.flush(), 0);
    });
  }

  async flush() {
    const pending = this.queue.splice(0);
    for (let i = 0; i < pending.length; i += BATCH_LIMIT) this.post(pending.slice(i, i + BATCH_LIMIT));
  }

  async post(calls) {
    const body = calls.map(({ id, method, params }) => ({ jsonrpc: "2.0", id, method, params }));
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      this.requests += 1;
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body.length === 1 ? body[0] : body),
        signal: abort.signal,
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
      if (!response.ok) throw new RpcUnreachable(`HTTP ${response.status}`);
      const answer = await response.json();
      const answers = new Map((Array.isArray(answer) ? answer : [answer]).map((a) => [a?.id, a]));
      for (const call of calls) {
        const found = answers.get(call.id);
        if (!found) call.reject(new RpcUnreachable(`no answer to ${call.method}`));
        else if (found.error) call.reject(new RpcUnreachable(`${call.method}: ${found.error.message}`));
        else call.resolve(found.result);
      }
    } catch (error) {
      const problem = error instanceof RpcUnreachable ? error : new RpcUnreachable(String(error?.message || error));
      for (const call of calls) call.reject(problem);
    } finally {
      clearTimeout(timer);
    }
  }

  async chainId() {
    return Number(BigInt(await this.send("eth_chainId")));
  }

  async blockNumber() {
    return Number(BigInt(await this.send("eth_blockNumber")));
  }
}

/** The registry at `contract`, read at block `block` (a number) through `rpc`. */
export class Registry {
  constructor(rpc, contract, block) {
    this.rpc = rpc;
    this.contract = contract;
    this.block = "0x" + block.toString(16);
    this.asked = new Map();
  }

  call(name, data) {
    const input = toHex(concatBytes(SELECTORS[name], data));
    const key = `${name}:${input}`;
    if (!this.asked.has(key)) {
      const tx = { to: this.contract, data: input };
      this.asked.set(key, this.rpc.send("eth_call", [tx, this.block]).then(words));
    }
    return this.asked.get(key);
  }

  async headsRoot() {
    return (await this.call("headsRoot", new Uint8Array(0)))[0];
  }

  /** Block time of `root`'s anchor on this registry (0: not anchored). */
  async anchoredAt(root) {
    return Number(uint((await this.call("anchorOf", root))[0]));
  }

  async isRecalled(lotKey) {
    return uint((await this.call("isRecalled", lotKey))[0]) !== 0n;
  }

  /** (since, until) of `signer` for `orgKey`: zeros for a key never registered. */
  async signerOf(orgKey, signer) {
    const [since, until] = await this.call("signerOf", concatBytes(orgKey, address(signer)));
    return { since: Number(uint(since)), until: Number(uint(until)) };
  }

  async verifyHead(lotKey, headHash, seq, bitmap, siblings) {
    const data = withArray([lotKey, headHash, word(BigInt(seq)), word(bitmap)], siblings);
    return uint((await this.call("verifyHead", data))[0]) !== 0n;
  }

  async verifyNoHead(lotKey, bitmap, siblings) {
    const data = withArray([lotKey, word(bitmap)], siblings);
    return uint((await this.call("verifyNoHead", data))[0]) !== 0n;
  }
}
