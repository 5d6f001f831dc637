// Keys and audit: the tenant's API keys (admin): list, create (the secret
// is shown once), revoke; and the tenant's audit log (audit.js).
import { api } from "../api.js";
import { $, h, status, run, confirmDialog } from "../ui.js";
import { register } from "./registry.js";
import { auditCard, loadAudit } from "./audit.js";

const roles = { read: "read (recognise, list)", readwrite: "read and write (also enrol, curate, upload)", admin: "admin (also keys, collections, libraries)" };

function mount(sec) {
  sec.append(
    h("p", { class: "hint" }, "API keys let people and programs use this server. Each key belongs to your tenant and has a role. " +
      "A key's secret is shown once, when it is made; the server keeps only a hash of it."),
    h("form", { class: "card narrow", id: "key-form", onsubmit: (e) => { e.preventDefault(); create(); } },
      h("h2", {}, "New key"),
      h("label", { for: "key-role" }, "Role"),
      h("select", { id: "key-role" }, ...Object.entries(roles).map(([v, t]) => new Option(t, v, false, v === "read"))),
      h("button", { id: "key-create", type: "submit" }, "Create key"),
      h("p", { id: "keys-out", class: "status", role: "status", "aria-live": "polite" }),
      h("div", { id: "key-once", class: "key-once", hidden: true })),
    h("div", { class: "card" },
      h("h2", { id: "keys-title" }, "Keys"),
      h("ul", { id: "keys", class: "plain", "aria-labelledby": "keys-title" }),
      h("p", { id: "keys-list-out", class: "status", role: "status", "aria-live": "polite" })),
    auditCard());
}

async function show() {
  $("key-once").hidden = true;
  await Promise.all([list(), loadAudit(true)]);
}

const day = (unix) => new Date(unix * 1000).toISOString().slice(0, 10);

async function list() {
  const out = $("keys-list-out");
  let keys;
  try {
    const r = await api("GET", "/v1/keys");
    keys = r.keys || [];
  } catch (e) {
    $("keys").replaceChildren();
    $("key-form").hidden = e.code === "no_route";
    return status(out, e.code === "no_route" ? "This server does not offer key management in the web app yet: use `mien keys` on the server." : e.message, "error");
  }
  $("key-form").hidden = false;
  status(out, keys.length ? "" : "No keys.");
  $("keys").replaceChildren(...keys.map((k) => {
    const revoked = k.revoked_at;
    return h("li", { dataset: { key: k.id, revoked: revoked ? "true" : null } },
      h("span", {}, h("strong", {}, k.id), ` — ${k.role}`, k.created_at ? `, made ${day(k.created_at)}` : "",
        k.last_used_at ? `, last used ${day(k.last_used_at)}` : ", never used", revoked ? ` — revoked ${day(revoked)}` : ""),
      revoked ? null : h("button", { type: "button", class: "danger", "aria-label": "Revoke key " + k.id, onclick: () => revoke(k) }, "Revoke"));
  }));
}

async function create() {
  const role = $("key-role").value;
  await run($("keys-out"), "Creating...", async () => {
    const k = await api("POST", "/v1/keys", { role });
    const box = $("key-once");
    box.replaceChildren(
      h("p", {}, h("strong", {}, "Copy this key now: it is not shown again.")),
      h("code", { id: "key-secret" }, k.key),
      h("div", {}, h("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(k.key).then(() => status($("keys-out"), "Copied.", "ok")) }, "Copy")));
    box.hidden = false;
    await list();
    loadAudit(true);
    return `Created a ${k.role} key (${k.id}).`;
  }, $("key-create"));
}

async function revoke(k) {
  const ok = await confirmDialog(`Revoke key ${k.id}?`, ["Anything using this key is refused from now on. This cannot be undone."], "Revoke", true);
  if (!ok) return status($("keys-list-out"), "Nothing was revoked.");
  await run($("keys-list-out"), "Revoking...", async () => {
    await api("DELETE", "/v1/keys/" + encodeURIComponent(k.id));
    await list();
    loadAudit(true);
    return `Revoked key ${k.id}.`;
  });
}

register({ path: "keys", title: "Keys and audit", mount, show, signOut: () => { $("key-once").replaceChildren(); $("key-once").hidden = true; $("audit").replaceChildren(); } });
