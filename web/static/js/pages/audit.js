// The tenant's audit log (admin), inside the keys and audit section: newest
// first, a page at a time ("Load more"), filtered by action. Entries hold
// ids, counts and decisions, never photos or face templates.
import { api } from "../api.js";
import { $, h, status, run } from "../ui.js";

// What each action means, in words; an action not listed shows its name.
const actions = {
  "subject.enroll": "person enrolled", "subject.delete": "person erased", "subject.add_templates": "photos added to a person",
  "subject.purge_expired_consent": "person erased (consent expired)", identify: "identification", verify: "verification",
  "collection.create": "collection created", "collection.delete": "collection deleted", "collection.settings": "collection settings changed",
  "consent_policy.declare": "consent policy declared", "key.create": "key created", "key.import": "key imported", "key.revoke": "key revoked",
  "aws_key.create": "access key created", "aws_key.revoke": "access key revoked", "tenant.create": "tenant created",
  "library.create": "library created", "library.upload": "photos uploaded to a library", "library.photo.delete": "library photo removed",
  "library.forget": "library forgotten", "library.expire": "library expired", "faces.index": "faces indexed (Rekognition)",
  "faces.delete": "faces deleted (Rekognition)", "faces.associate": "faces given to a user (Rekognition)",
  "faces.disassociate": "faces taken from a user (Rekognition)", "user.create": "user created (Rekognition)",
  "user.delete": "user deleted (Rekognition)", "rekognition.search": "search (Rekognition)",
};
const PAGE = 25;
let next = null, generation = 0;

export function auditCard() {
  return h("div", { class: "card", id: "audit-card" },
    h("h2", { id: "audit-title", tabindex: "-1" }, "Audit log"),
    h("p", { class: "hint" }, "What was done with this tenant's people, collections, libraries and keys, newest first. " +
      "Entries hold ids, counts and decisions, never photos or face templates. On the server, `mien audit verify` checks the whole hash chain."),
    h("form", { class: "row", onsubmit: (e) => { e.preventDefault(); loadAudit(true); } },
      h("div", {}, h("label", { for: "audit-action" }, "Action"),
        h("select", { id: "audit-action", onchange: () => loadAudit(true) }, new Option("All actions", ""),
          ...Object.entries(actions).map(([v, t]) => new Option(t, v)))),
      h("button", { type: "submit", id: "audit-refresh", class: "secondary" }, "Refresh")),
    h("ul", { id: "audit", class: "plain audit", "aria-labelledby": "audit-title" }),
    h("p", { id: "audit-out", class: "status", role: "status", "aria-live": "polite" }),
    h("button", { type: "button", id: "audit-more", class: "secondary", hidden: true, onclick: () => loadAudit(false) }, "Load more"));
}

const when = (unix) => new Date(unix * 1000).toISOString().slice(0, 19).replace("T", " ") + " UTC";

// short: a detail in a few words ("templates 2, collection col_..."); lists
// are counted, long values cut.
function short(detail) {
  const parts = Object.entries(detail || {}).map(([k, v]) => {
    if (Array.isArray(v)) v = v.length + (v.length === 1 ? " item" : " items");
    else if (v && typeof v === "object") v = "…";
    else if (k.endsWith("_at") && typeof v === "number" && v > 1e9) v = when(v).slice(0, 10);
    return k.replace(/_/g, " ") + " " + String(v);
  });
  const s = parts.join(", ");
  return s.length > 120 ? s.slice(0, 119) + "…" : s;
}

function entry(e) {
  return h("li", { dataset: { seq: e.seq, action: e.action } },
    h("span", {},
      h("time", { datetime: new Date(e.at * 1000).toISOString() }, when(e.at)), " — ",
      h("strong", {}, actions[e.action] || e.action), ` by ${e.actor}`, e.object ? `, on ${e.object}` : "",
      h("br"), h("small", { class: "detail" }, short(e.detail) || "no detail"),
      e.intact ? null : h("small", { class: "bad" }, " — does not match its hash: run `mien audit verify` on the server")));
}

// loadAudit reads the first page (reset) or the next one. A newer load
// supersedes one still running (its answer is dropped).
export async function loadAudit(reset) {
  const list = $("audit"), out = $("audit-out"), more = $("audit-more");
  const mine = ++generation;
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (!reset && next) q.set("before", String(next));
  const action = $("audit-action").value;
  if (action) q.set("action", action);
  const hadFocus = document.activeElement === more;
  await run(out, "Loading the audit log...", async () => {
    let r;
    try {
      r = await api("GET", "/v1/audit?" + q);
    } catch (e) {
      if (mine !== generation) return;
      list.replaceChildren();
      more.hidden = true;
      if (e.code === "no_route") throw new Error("This server does not offer the audit log in the web app yet: use `mien audit` on the server.");
      throw e;
    }
    if (mine !== generation) return;
    const items = (r.entries || []).map(entry);
    if (reset) list.replaceChildren(...items);
    else list.append(...items);
    next = r.next ?? null;
    more.hidden = next === null;
    const n = list.children.length;
    if (!n) return action ? "No entries for this action." : "No entries yet.";
    return `${n} ${n === 1 ? "entry" : "entries"} shown${next === null ? ", the oldest included" : ""}.`;
  }, reset ? $("audit-refresh") : more);
  // "Load more" disappears with the last page: the focus goes to the heading, not lost.
  if (hadFocus && more.hidden) $("audit-title").focus();
}
