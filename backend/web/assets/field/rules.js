// The phone's checks of a field form, by the rules the server publishes in data.json: each
// field's kind and limits, and for each check the server's own message (rules.py), so the
// member reads here what the server would answer. The server checks everything again.

const PLAIN_DECIMAL = /^[+-]?[0-9]+(\.[0-9]+)?$/;
// Unicode category Cc: C0 controls, DEL and C1 controls (what the server refuses).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function codePoints(text) {
  return [...text].length;
}

function checkText(field, raw) {
  const text = (raw ?? "").normalize("NFC").trim();
  if (!text) return field.required ? field.messages.empty : null;
  if (codePoints(text) > field.max_length) return field.messages.too_long;
  const allowed = field.kind === "textarea" ? "\n\t" : "";
  const controls = text.match(CONTROL) ?? [];
  if (controls.some((ch) => !allowed.includes(ch))) return field.messages.control_characters;
  return null;
}

/** The decimal as the server stores it ("12.50" → "12.5"), or null when it is not one. */
export function plainDecimal(raw) {
  const text = String(raw ?? "").trim();
  if (!PLAIN_DECIMAL.test(text)) return null;
  let [whole, fraction = ""] = text.replace(/^\+/, "").split(".");
  const negative = whole.startsWith("-");
  whole = whole.replace(/^-/, "").replace(/^0+(?=\d)/, "");
  fraction = fraction.replace(/0+$/, "");
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && body !== "0" ? `-${body}` : body;
}

function checkDecimal(field, raw) {
  if (String(raw ?? "").trim() === "") return field.messages.required;
  const value = plainDecimal(raw);
  if (value === null) return field.messages.not_decimal;
  if (value.startsWith("-") || /^0(\.0*)?$/.test(value)) return field.messages.not_positive;
  const [whole, fraction = ""] = value.split(".");
  if (fraction.length > field.max_places) return field.messages.too_many_places;
  // The server refuses |value| >= 10^max_integer_digits: more integer digits than that.
  if (whole.length > field.max_integer_digits) return field.messages.too_large;
  return null;
}

function checkInteger(field, raw) {
  const text = String(raw ?? "").trim();
  if (text === "") return field.messages.required;
  if (!/^-?[0-9]+$/.test(text)) return field.messages.not_integer;
  const value = Number(text);
  if (value < field.min || value > field.max) return field.messages.range;
  return null;
}

function checkTime(field, raw, now) {
  if (!raw) return field.messages.required;
  const when = new Date(raw);
  if (Number.isNaN(when.getTime())) return field.messages.not_time;
  if (when.getTime() > now + field.future_skew_seconds * 1000) return field.messages.future;
  if (when < new Date(field.earliest)) return field.messages.too_early;
  return null;
}

/** The message for `field` holding `raw` (what the form control gives), or null if it passes. */
export function check(field, raw, now = Date.now()) {
  switch (field.kind) {
    case "text":
    case "textarea":
      return checkText(field, raw);
    case "decimal":
      return checkDecimal(field, raw);
    case "integer":
      return checkInteger(field, raw);
    case "time":
      return checkTime(field, raw, now);
    case "choice":
      return raw ? null : field.messages.required;
    case "pass_fail":
      if (!raw) return field.messages.required;
      return field.choices.includes(raw) ? null : field.messages.choice;
    default:
      return null;
  }
}

/** `{name: message}` for every field of `form` whose value fails. */
export function checkForm(form, values, now = Date.now()) {
  const errors = {};
  for (const field of form.fields) {
    const problem = check(field, values[field.name], now);
    if (problem) errors[field.name] = problem;
  }
  return errors;
}
