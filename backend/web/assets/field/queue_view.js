// The queue as the member sees it: each entry with its status, and for a refused one the
// server's message beside it and a way to discard it (never dropped without being asked).
import { el, localTime, tr } from "./text.js";

function summary(entry) {
  const item = entry.payload?.item;
  if (!item) return "";
  const data = item.data ?? {};
  const facts = [item.lot ?? item.farm];
  if (item.type === "harvest") facts.push(`${data.product} · ${data.quantity} ${data.unit}`);
  if (item.type === "input_application") facts.push(`${data.product} · ${data.dose} ${data.unit}`);
  if (item.type === "quality_check") facts.push(tr(`label.${data.result}`));
  if (item.type === "note") facts.push(String(data.text ?? "").slice(0, 60));
  return facts.filter(Boolean).join(" · ");
}

/** The list of entries (`entries` opened, or null while locked: then only counts show). */
export function queueView(entries, { onDiscard, lotUrl }) {
  if (!entries.length) return el("p", { class: "muted", id: "field-queue-empty" }, tr("empty_queue"));
  const list = el("ol", { class: "queue", id: "field-queue" });
  for (const entry of entries) {
    const payload = entry.payload;
    const item = payload?.item;
    const row = el(
      "li",
      { "data-id": entry.id, "data-status": entry.status, "data-kind": entry.kind },
      el("div", {}, el("strong", {}, tr(`form.${entry.kind}`)), " · ",
        el("span", { class: "status" }, tr(`status.${entry.status}`))),
      el("div", { class: "muted" }, summary(entry)),
      item ? el("div", { class: "muted" }, localTime(item.occurred_at)) : null,
    );
    if (entry.status === "refused" && payload?.message) {
      row.append(el("p", { class: "msg", role: "alert" }, payload.message), el("p", { class: "muted" }, tr("refused_hint")));
      row.append(el("button", { type: "button", class: "discard", onclick: () => onDiscard(entry) }, tr("discard")));
    }
    if (entry.status === "accepted" && item?.lot) {
      row.append(el("a", { class: "btn", href: lotUrl(item.lot) }, tr("view_lot")));
    }
    list.append(row);
  }
  return list;
}
