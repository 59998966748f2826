// The four field forms, drawn from the server's rules (rules.py via data.json): big controls,
// the server's messages under each field, and the entry the queue will keep.
import { checkForm, plainDecimal } from "./rules.js";
import { resizePhoto, toBase64 } from "./photo.js";
import { el, tr } from "./text.js";

/** Labels that differ from the field's name in one form. */
const INPUT_LABELS = { product: "input_product", unit: "dose_unit" };
const LABELS = { input_application: INPUT_LABELS, treatment: INPUT_LABELS };

function labelOf(formName, field) {
  return tr(`label.${LABELS[formName]?.[field.name] ?? field.name}`);
}

function nowLocalInput() {
  const now = new Date();
  now.setSeconds(0, 0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

/** The data each drawn form reads when it saves (kept current by `refreshChoices`). */
const dataOfForm = new WeakMap();

function choices(field, data) {
  const list = data[field.source] ?? [];
  return list.map((row) => {
    if (field.source === "products") return [row.code, `${row.name_vi} (${row.code})`];
    if (field.source === "farms") return [row.code, `${row.name} · ${row.code}`];
    return [row.code, `${row.code} · ${row.product_name ?? row.product ?? ""} ${row.quantity} ${row.unit}`];
  });
}

function fillChoices(select, field, data) {
  select.replaceChildren(el("option", { value: "" }, tr("label.choose")));
  for (const [value, text] of choices(field, data)) select.append(el("option", { value }, text));
}

function control(formName, field, data) {
  const id = `f-${field.name}`;
  const common = { id, name: field.name, "aria-describedby": `${id}-err` };
  if (field.kind === "choice") {
    const select = el("select", common);
    fillChoices(select, field, data);
    return select;
  }
  if (field.kind === "pass_fail") {
    return el(
      "div",
      { class: "choice", role: "radiogroup", id },
      field.choices.map((value) =>
        el("label", {}, el("input", { type: "radio", name: field.name, value, id: `${id}-${value}` }), tr(`label.${value}`)),
      ),
    );
  }
  if (field.kind === "textarea") return el("textarea", { ...common, rows: 3 });
  if (field.kind === "time") return el("input", { ...common, type: "datetime-local", value: nowLocalInput() });
  if (field.kind === "photo") return el("input", { ...common, type: "file", accept: "image/*", capture: "environment" });
  const numeric = field.kind === "decimal" || field.kind === "integer";
  return el("input", { ...common, type: "text", inputmode: numeric ? "decimal" : "text", autocomplete: "off" });
}

function valuesOf(form, spec) {
  const values = {};
  for (const field of spec.fields) {
    if (field.kind === "pass_fail") values[field.name] = form.querySelector(`input[name=${field.name}]:checked`)?.value ?? "";
    else if (field.kind !== "photo") values[field.name] = form.elements[field.name]?.value ?? "";
  }
  return values;
}

/** The time typed (phone's clock and zone) as whole-second UTC, as the server stores it. */
export function utcSeconds(localValue) {
  return new Date(localValue).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** `length` characters drawn uniformly from `alphabet` (rejection sampling, no modulo bias). */
function randomPart(alphabet, length) {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A new harvest lot's code, named on the phone as the server names a generated one:
 * DT-<TAG>-<YYMM>-<random>, the month in Vietnam's time (data.json says the rest). */
export function newLotCode(data, productCode, when) {
  const rule = data.lot_code;
  const product = (data.products ?? []).find((row) => row.code === productCode);
  const vn = new Date(new Date(when).getTime() + 7 * 3600 * 1000);
  const yymm = `${String(vn.getUTCFullYear()).slice(2)}${String(vn.getUTCMonth() + 1).padStart(2, "0")}`;
  return `${rule.region}-${product?.tag ?? "LOT"}-${yymm}-${randomPart(rule.alphabet, rule.random_chars)}`;
}

/** Where a field's value goes in the item's data (`member` for the farm diary's form), or null. */
function memberOf(field) {
  if (field.member) return field.member;
  return field.path.startsWith("data.") ? field.path.slice(5) : null;
}

/** The queued item of a checked form: a batch item of a lot, or (the farm diary's form,
 * `target: "farm_diary"`) an input applied to a farm. */
function itemOf(formName, spec, values, data) {
  const occurred = utcSeconds(values.occurred_at);
  const item = { type: spec.type, lot: values.lot ?? null, occurred_at: occurred, data: {} };
  if (spec.target === "farm_diary") Object.assign(item, { target: spec.target, farm: values.farm, lot: null });
  for (const field of spec.fields) {
    const key = memberOf(field);
    if (key === null) continue;
    const raw = values[field.name];
    if (raw === undefined || raw === "" || field.kind === "photo") continue;
    if (field.kind === "integer") item.data[key] = Number(raw);
    else if (field.kind === "decimal") item.data[key] = plainDecimal(raw);
    else item.data[key] = typeof raw === "string" ? raw.normalize("NFC").trim() : raw;
  }
  if (formName === "harvest") item.lot = newLotCode(data, values.product, item.occurred_at);
  return item;
}

function showErrors(form, spec, errors) {
  for (const field of spec.fields) {
    const slot = form.querySelector(`#f-${field.name}-err`);
    const input = form.querySelector(`#f-${field.name}`);
    if (slot) slot.textContent = errors[field.name] ?? "";
    input?.setAttribute("aria-invalid", errors[field.name] ? "true" : "false");
  }
}

/** Gives a drawn form newer data (a fresh data.json) without touching what is being typed:
 * the lists are redrawn around the choices made, and the next save reads the new data. */
export function refreshChoices(form, data) {
  const spec = data.rules.forms[form.dataset.form];
  dataOfForm.set(form, data);
  for (const field of spec.fields) {
    if (field.kind !== "choice") continue;
    const select = form.elements[field.name];
    if (!select) continue;
    const chosen = select.value;
    fillChoices(select, field, data);
    if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  }
}

/** The form `formName`; `onEntry(kind, payload)` stores a checked entry and says whether it
 * did (the form is cleared only then). */
export function entryForm(formName, data, onEntry) {
  const spec = data.rules.forms[formName];
  const form = el("form", { class: "entry", id: `field-form-${formName}`, "data-form": formName, novalidate: true });
  dataOfForm.set(form, data);
  for (const field of spec.fields) {
    form.append(
      el("label", { for: `f-${field.name}` }, labelOf(formName, field), control(formName, field, data)),
      el("p", { class: "err", id: `f-${field.name}-err`, "aria-live": "polite" }),
    );
  }
  const save = el("button", { type: "submit", class: "primary", id: "field-save" }, tr("save"));
  form.append(save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = valuesOf(form, spec);
    const errors = checkForm(spec, values);
    showErrors(form, spec, errors);
    if (Object.keys(errors).length) return;
    save.disabled = true;
    try {
      const item = itemOf(formName, spec, values, dataOfForm.get(form));
      const payload = { item, recorded_on_phone_at: new Date().toISOString() };
      const file = form.elements.photo?.files?.[0];
      if (file) {
        const photo = await resizePhoto(file);
        payload.photo = { type: photo.type, base64: toBase64(photo.bytes), sha256: photo.sha256 };
      }
      if (!(await onEntry(formName, payload))) return;
      form.reset();
      const time = form.elements.occurred_at;
      if (time) time.value = nowLocalInput();
    } finally {
      save.disabled = false;
    }
  });
  return form;
}
