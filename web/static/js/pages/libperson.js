// A person's page in a photo library (every face, not a sample), the photo
// dialog a face opens, and merging chosen from faces. Every merge, split
// and removal is confirmed or can be undone.
import { api, blob } from "../api.js";
import { $, h, status, run, confirmDialog, promptDialog, toast, image, drawBoxes, plural } from "../ui.js";
import { state } from "../state.js";
import { lib, load, path, personName, personLabel, hidden, cover, thumb, fileName, merge, split, move, ignore, setHidden, rename } from "./libdata.js";

let current = 0; // the person on show
let selecting = false;
let shownPhoto = null, photoOpener = null;
const outAttrs = (id) => ({ id, class: "status", role: "status", "aria-live": "polite" });

export function mountPerson() {
  const bar = (id, ...xs) => h("div", { class: "toolbar", id }, ...xs);
  const btn = (id, text, onclick, cls) => h("button", { id, type: "button", class: cls, onclick }, text);
  document.body.append(
    h("dialog", { id: "photo-dialog", "aria-labelledby": "photo-title" },
      h("h2", { id: "photo-title" }, "Photo"),
      h("p", { id: "photo-names", class: "hint" }),
      h("canvas", { id: "photo-canvas", class: "result", "aria-label": "The photo with its faces numbered" }),
      h("ol", { id: "photo-faces", class: "results" }),
      h("p", outAttrs("photo-out")),
      h("div", { class: "actions" },
        btn("photo-close", "Back", () => $("photo-dialog").close()),
        btn("photo-delete", "Remove this photo...", removePhoto, "danger"))),
    h("dialog", { id: "merge-dialog", "aria-labelledby": "merge-title" },
      h("h2", { id: "merge-title" }, "Merge with..."),
      h("p", { class: "hint" }, "Choose the person, by their face, who is the same as this one."),
      h("label", { for: "merge-search" }, "Search by name"),
      h("input", { id: "merge-search", type: "search", autocomplete: "off", oninput: drawMergeChoices }),
      h("div", { id: "merge-choices", class: "people", role: "list" }),
      h("div", { class: "actions" }, btn("merge-cancel", "Cancel", () => $("merge-dialog").close(), "secondary"))));
  $("photo-dialog").addEventListener("close", () => { shownPhoto = null; photoOpener?.focus(); });
  return h("div", { id: "person-view", hidden: true },
    h("a", { id: "person-back", href: "#/library" }, "← All people"),
    h("div", { class: "card" },
      h("h2", { id: "person-name", tabindex: "-1" }),
      h("p", { id: "person-counts", class: "hint" }),
      bar("person-actions", btn("person-rename", "Rename", renamePerson), btn("person-hide", "Hide", hidePerson, "secondary"),
        btn("person-merge", "Merge with...", pickMerge, "secondary"), btn("person-select", "Select faces", () => select(!selecting), "secondary")),
      bar("selection-bar", h("span", { id: "selection-count" }), btn("person-split", "Split off into a new person", splitSelected),
        btn("person-cover", "Use as cover", coverSelected, "secondary"), btn("selection-cancel", "Cancel", () => select(false), "secondary")),
      h("p", outAttrs("person-out")),
      h("p", { class: "hint", id: "person-hint" }, "Click a face to see its photo. To split faces off, choose Select faces."),
      h("div", { id: "person-faces", class: "faces", role: "list" })));
}

export async function showPerson(id) {
  if (current !== id) {
    selecting = false;
    status($("person-out"), "");
  }
  current = id;
  $("person-back").href = `#/library/${state.library}`;
  const p = lib.byId.get(id);
  if (!p) {
    $("person-name").textContent = "This person is no longer in the library";
    $("person-counts").textContent = "They were merged, split or removed.";
    $("person-faces").replaceChildren();
    $("person-actions").hidden = $("selection-bar").hidden = true;
    return;
  }
  $("person-actions").hidden = false;
  // Every face of the person, from the server (not a sample).
  const faces = (await api("GET", path(`/people/${id}`))).faces;
  const cov = cover(p)?.id;
  $("person-name").textContent = personName(p) + (hidden(p) ? " (hidden)" : "");
  $("person-counts").textContent = `${plural(p.faces, "face")} in ${plural(p.photos, "photo")}${p.confirmed ? ", confirmed" : ""}.`;
  $("person-hide").textContent = hidden(p) ? "Show again" : "Hide";
  $("person-faces").replaceChildren(...faces.map((f, i) => {
    const b = h("button", { type: "button", class: "face", role: "listitem", dataset: { face: f.id, photo: f.photo }, "aria-pressed": selecting ? "false" : null,
      onclick: () => (selecting ? toggle(b) : openPhoto(f.photo, b)) },
    image(h("img", { alt: `Face ${i + 1} of ${personName(p)}, from ${fileName(f.photo)}`, width: 96, height: 96 }), thumb(f.id)),
    f.id === cov ? h("span", { class: "badge" }, "cover") : null,
    h("small", {}, fileName(f.photo)));
    return b;
  }));
  updateSelection();
}

function select(on) {
  selecting = on;
  for (const b of $("person-faces").children) b.setAttribute("aria-pressed", "false");
  if (!on) for (const b of $("person-faces").children) b.removeAttribute("aria-pressed");
  updateSelection();
  if (on) status($("person-out"), "Select the faces, then choose what to do with them.");
}

function toggle(b) {
  b.setAttribute("aria-pressed", b.getAttribute("aria-pressed") === "true" ? "false" : "true");
  updateSelection();
}

const selected = () => [...$("person-faces").querySelectorAll('[aria-pressed="true"]')].map((b) => b.dataset.face);

function updateSelection() {
  const n = selected().length, all = $("person-faces").children.length;
  $("selection-bar").hidden = !selecting;
  $("person-select").textContent = selecting ? "Stop selecting" : "Select faces";
  $("selection-count").textContent = `${plural(n, "face")} selected`;
  $("person-split").disabled = n === 0 || n === all;
  $("person-cover").disabled = n !== 1;
}

// done reloads the library, redraws, and says what was done with an undo.
async function done(r, out = $("person-out")) {
  await load();
  await lib.onChange();
  toast(r.done, r.undo && (async () => { const t = await r.undo(); await load(); await lib.onChange(); status(out, t, "ok"); return t; }));
  return r.done;
}

async function renamePerson() {
  const p = lib.byId.get(current);
  const name = await promptDialog("Name this person", "Name", p.name || "");
  if (name === null) return status($("person-out"), "Name not changed.");
  await run($("person-out"), "Saving...", async () => done(await rename(p, name)));
}

async function hidePerson() {
  const p = lib.byId.get(current);
  await run($("person-out"), "Saving...", async () => done(await setHidden(p, !hidden(p))));
}

async function splitSelected() {
  const ids = selected(), p = lib.byId.get(current);
  await run($("person-out"), "Splitting...", async () => {
    const r = await split(current, ids);
    selecting = false;
    return done({ ...r, done: r.done + ` ${personName(p)} keeps the rest.` });
  }, $("person-split"));
}

async function coverSelected() {
  const [id] = selected();
  await run($("person-out"), "Saving...", async () => {
    await api("PUT", path(`/people/${current}/cover`), { face: id });
    selecting = false;
    return done({ done: "Cover face chosen." });
  });
}

function pickMerge() {
  $("merge-search").value = "";
  drawMergeChoices();
  $("merge-dialog").showModal();
  $("merge-search").focus();
}

// drawMergeChoices offers the other people as their cover faces.
function drawMergeChoices() {
  const q = $("merge-search").value.trim().toLowerCase();
  const others = lib.people.filter((p) => p.id !== current && !hidden(p) && (!q || (p.name || "").toLowerCase().includes(q))).slice(0, 60);
  $("merge-choices").replaceChildren(...others.map((p) => {
    const f = cover(p);
    const img = h("img", { alt: "", width: 96, height: 96 });
    if (f) image(img, thumb(f.id));
    return h("button", { type: "button", class: "person-card", role: "listitem", dataset: { person: p.id },
      onclick: () => { $("merge-dialog").close(); confirmMerge(lib.byId.get(current), p, $("person-out")); } },
    img, h("strong", {}, personName(p)), h("small", {}, plural(p.faces, "face")));
  }));
  if (!others.length) $("merge-choices").replaceChildren(h("p", { class: "hint" }, "Nobody else to merge with."));
}

// confirmMerge shows both people's faces, asks, merges, and offers undo.
export async function confirmMerge(into, from, out) {
  const row = (p) => h("div", {}, h("strong", {}, personLabel(p)),
    h("div", { class: "choices" }, ...(lib.facesOf.get(p.id) || []).slice(0, 6).map((f) =>
      image(h("img", { alt: "", width: 64, height: 64 }), thumb(f.id, 64)))));
  const ok = await confirmDialog(`Merge into ${personName(into)}?`,
    [row(into), row(from), `All their faces become one person${into.name || from.name ? ", " + (into.name || from.name) : ""}. You can undo this right after.`], "Merge");
  if (!ok) return status(out, "Not merged.");
  await run(out, "Merging...", async () => done(await merge(into.id, from.id), out));
}

// openPhoto shows a face's photo in a dialog over the page, faces
// numbered, each with its person and what can be done with it. Closing
// it ("Back", or Escape) returns to the face.
export async function openPhoto(photo, opener) {
  photoOpener = opener;
  shownPhoto = photo;
  const d = $("photo-dialog");
  if (!d.open) d.showModal();
  $("photo-close").focus();
  await run($("photo-out"), "Loading the photo...", () => drawPhoto());
}

async function drawPhoto() {
  const [info, img] = await Promise.all([api("GET", path(`/photos/${shownPhoto}`)), blob(path(`/photos/${shownPhoto}/image`))]);
  const names = lib.names[shownPhoto] || [];
  $("photo-title").textContent = names[0] || fileName(shownPhoto);
  $("photo-names").textContent = `${plural(info.faces.length, "face")}` + (names.length > 1 ? ` · also uploaded as ${names.slice(1).join(", ")}` : "");
  await drawBoxes($("photo-canvas"), img, info.faces.map((f) => ({ box: f.box, color: f.person ? "#2456c8" : "#b3261e" })), info.width, info.height);
  $("photo-faces").replaceChildren(...info.faces.map((f, i) => faceItem(f, i)));
  return "";
}

function faceItem(f, i) {
  const p = lib.byId.get(f.person);
  const li = h("li", { dataset: { face: f.id } }, h("strong", { class: "face-person" }, f.ignored ? `ignored (${f.ignored})` : p ? personName(p) : "in no person"), " ");
  const act = (working, fn) => run($("photo-out"), working, async () => { const t = await done(await fn(), $("photo-out")); await drawPhoto(); return t; });
  if (f.ignored) {
    if (f.ignored !== "expired") li.append(h("button", { type: "button", class: "unignore-btn", onclick: () => act("Saving...", async () => {
      await api("POST", path(`/faces/${f.id}/unignore`));
      return { done: "Face back in the grouping." };
    }) }, "Unignore"));
    return li;
  }
  const sel = h("select", { class: "move-select", id: "move-" + f.id, onchange: () => sel.value && act("Moving...", () => move(f, Number(sel.value))) },
    new Option("choose a person...", ""), ...lib.people.filter((q) => q.id !== f.person).map((q) => new Option(personLabel(q), q.id)));
  li.append(h("label", { for: "move-" + f.id }, `Move face ${i + 1} to`), sel);
  if (p) {
    const who = p.name || "this person";
    li.append(h("button", { type: "button", class: "not-btn", onclick: () => act("Saving...", () => move(f, 0)) }, "Not " + who));
    li.append(h("a", { href: `#/library/${state.library}/person/${p.id}`, onclick: () => $("photo-dialog").close() }, "Open " + who), " ");
  }
  li.append(h("button", { type: "button", class: "secondary ignore-btn", onclick: () => act("Saving...", () => ignore(f)) }, "Ignore"));
  return li;
}

async function removePhoto() {
  const name = $("photo-title").textContent;
  const ok = await confirmDialog(`Remove ${name}?`,
    ["The photo is removed from the library and its faces are erased, with their templates and curation. This cannot be undone."], "Remove", true);
  if (!ok) return status($("photo-out"), "Nothing was removed.");
  await run($("photo-out"), "Removing...", async () => {
    await api("DELETE", path(`/photos/${shownPhoto}`));
    $("photo-dialog").close();
    const t = await done({ done: `Removed ${name}: its faces are erased.` });
    status($("person-out"), t, "ok");
    status($("library-out"), t, "ok");
    return t;
  });
}
