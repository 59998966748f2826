// The field app's words and elements: every text comes from data.json's `messages` (the
// server's catalogue in the member's language), kept with the offline data.

let messages = {};

export function setMessages(table) {
  messages = table ?? {};
}

/** The message `key` (dotted, under field.app) with `{name}` parameters filled in. */
export function tr(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A DOM element: el("p", {class: "muted"}, "text", child). Text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A time as the member reads it: Vietnam's clock, day/month/year. */
export function localTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", hour12: false });
}
