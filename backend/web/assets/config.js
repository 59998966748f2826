// What the page tells the script: who is signed in, how their organisation keeps its keys, and
// the texts to show, in the page's language (a JSON data block, so no inline script runs).

let cached = null;

export function config() {
  if (cached) return cached;
  const block = document.getElementById("sentrace-signing");
  cached = block ? JSON.parse(block.textContent) : { owner: null, messages: {} };
  return cached;
}

/** The message `key` with `{name}` parameters filled in (the key itself if it is missing). */
export function msg(key, params = {}) {
  const text = config().messages?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Forget the cached configuration (after the page body was replaced). */
export function reloadConfig() {
  cached = null;
  return config();
}

/** A DOM element: el("p", {class: "muted"}, "text", child). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
