// The "Checked on your phone" panel beside the server's verdict. Text comes from the page's
// message catalogue (embedded by the server in the page's language); every value is set as
// text, never as markup. When the browser's verdict differs from the server's, the panel moves
// above the server's verdict and says so as an alert.

const ICONS = { verified: "✓", pending: "…", tampered: "✕", recalled: "!" };

function fill(template, params = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Panel {
  constructor(section, messages) {
    this.section = section;
    this.t = (key, params) => fill(messages[key] ?? key, params);
    this.body = section.querySelector("[data-part=body]");
    this.heading = section.querySelector("[data-part=heading]");
  }

  running() {
    this.section.hidden = false;
    this.section.dataset.state = "running";
    this.heading.textContent = this.t("heading_running");
  }

  /** The check could not run: say why, never a verdict. */
  notRun(why, params) {
    this.section.dataset.state = "not-run";
    this.section.dataset.why = why;
    this.heading.textContent = this.t("heading_not_run");
    this.body.replaceChildren(element("p", "bc-not-run", this.t("not_run", { why: this.t(`why.${why}`, params) })));
  }

  /** The browser's verdict `result` against the server's `serverVerdict`. */
  done(result, { host, ms, serverVerdict, verdictNames }) {
    const differs = result.verdict !== serverVerdict;
    const s = this.section;
    s.dataset.state = "done";
    s.dataset.verdict = result.verdict;
    s.dataset.agrees = differs ? "no" : "yes";
    s.classList.add(`v-${result.verdict}`);
    this.heading.textContent = this.t("heading");
    const parts = [];
    if (differs) {
      const alert = element("p", "bc-disagree", this.t("disagrees", {
        server: verdictNames[serverVerdict] ?? serverVerdict,
        browser: verdictNames[result.verdict] ?? result.verdict,
      }));
      alert.setAttribute("role", "alert");
      parts.push(alert);
      const verdict = document.getElementById("verdict")?.closest("section");
      if (verdict) verdict.before(s);
    }
    const chip = element("p", `bc-verdict c-${result.verdict}`);
    chip.append(element("span", "bc-icon", ICONS[result.verdict] ?? "?"), " ",
      element("strong", "bc-word", verdictNames[result.verdict] ?? result.verdict));
    chip.id = "browser-verdict";
    chip.dataset.verdict = result.verdict;
    parts.push(element("p", "muted", this.t("intro")), chip);
    if (!differs) parts.push(element("p", "bc-agrees", this.t("agrees")));
    const seen = new Set();
    const reasons = element("ul", "bc-reasons");
    for (const reason of result.reasons) {
      const key = `${reason.code}|${reason.lot ?? ""}|${reason.seq ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const item = element("li", "bc-reason", this.t(`reason.${reason.code}`));
      item.dataset.reason = reason.code;
      if (reason.lot !== undefined) {
        const where = reason.seq === undefined ? this.t("where_lot", reason) : this.t("where", reason);
        item.append(element("small", "muted", ` (${where})`));
      }
      reasons.append(item);
    }
    if (reasons.childElementCount) parts.push(reasons);
    const facts = element("dl", "bc-facts");
    facts.append(element("dt", "", this.t("via")), element("dd", "hash bc-host", host));
    facts.append(element("dt", "", this.t("block")), element("dd", "", String(result.block)));
    parts.push(facts);
    parts.push(element("p", "muted", `${this.t("events", { count: result.events, lots: result.lots.length })} · ${this.t("took", { ms: Math.round(ms) })}`));
    this.body.replaceChildren(...parts);
  }
}
