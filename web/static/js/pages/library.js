// Photo libraries: choose or create a library, add photos (files, folders,
// drag and drop), see its people (named, unnamed, hidden, background),
// search them, act on merge suggestions; a page per person (libperson.js).
import { api, message } from "../api.js";
import { $, h, status, run, confirmDialog, image, releaseImages, plural } from "../ui.js";
import { state, useLibrary } from "../state.js";
import { register } from "./registry.js";
import { lib, load, path, personName, hidden, background, cover, thumb, minFace, setMinFace } from "./libdata.js";
import { mountPerson, showPerson, confirmMerge } from "./libperson.js";

let libraries = [];
let view = "overview";
const outAttrs = (id) => ({ id, class: "status", role: "status", "aria-live": "polite" });
const imageTypes = /\.(jpe?g|png|webp|gif|heic|heif|hif|avif)$/i;

function mount(sec) {
  sec.append(
    h("div", { class: "card", id: "library-controls" },
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "library-select" }, "Library"),
          h("select", { id: "library-select", onchange: (e) => { location.hash = "#/library/" + e.target.value; } })),
        h("div", {}, h("label", { for: "new-library" }, "New library"), h("input", { id: "new-library", placeholder: "e.g. family photos" })),
        h("button", { id: "create-library", type: "button", onclick: createLibrary }, "Create")),
      h("div", { id: "drop", class: "drop", ondragover: dragOver, ondragleave: () => $("drop").classList.remove("over"), ondrop: drop },
        h("p", {}, "Drop photos or folders here, or choose them:"),
        h("div", { class: "row" },
          h("div", {}, h("label", { for: "library-files" }, "Photos"), h("input", { id: "library-files", type: "file", accept: "image/*", multiple: true, onchange: (e) => chosen(e.target) })),
          h("div", {}, h("label", { for: "library-folder" }, "A folder"), h("input", { id: "library-folder", type: "file", webkitdirectory: true, multiple: true, onchange: (e) => chosen(e.target) })))),
      h("progress", { id: "library-progress", hidden: true, value: 0, max: 1 }),
      h("p", outAttrs("library-out")),
      h("details", { id: "library-settings" },
        h("summary", {}, "Library settings"),
        h("div", { class: "row" },
          h("div", {}, h("label", { for: "library-expiry" }, "Unnamed, unconfirmed people are erased this many days after their newest photo (0: kept)"),
            h("input", { id: "library-expiry", type: "number", min: 0, step: 1, value: 0 })),
          h("button", { id: "library-expiry-save", type: "button", class: "secondary", onclick: saveExpiry }, "Save")),
        h("div", { class: "row" },
          h("div", {}, h("label", { for: "min-face" }, "Smallest face for the people list (pixels); people with only smaller faces are listed under \"Background\""),
            h("input", { id: "min-face", type: "number", min: 0, step: 1 })),
          h("button", { id: "min-face-save", type: "button", class: "secondary", onclick: saveMinFace }, "Save")),
        h("button", { id: "library-forget", type: "button", class: "danger", onclick: forgetLibrary }, "Forget this library"))),
    h("div", { id: "overview" },
      h("div", { class: "card", id: "suggestions-card", hidden: true },
        h("h2", {}, "Maybe the same person"), h("div", { id: "suggestions" })),
      h("div", { class: "card" },
        h("label", { for: "people-search" }, "Search people by name"),
        h("input", { id: "people-search", type: "search", autocomplete: "off", oninput: drawPeople }),
        h("h2", { id: "named-title" }, "People"), h("div", { id: "people-named", class: "people", role: "list", "aria-labelledby": "named-title" }),
        h("h2", { id: "unnamed-title" }, "Unnamed"), h("div", { id: "people-unnamed", class: "people", role: "list", "aria-labelledby": "unnamed-title" }),
        h("details", { id: "hidden-section" }, h("summary", { id: "hidden-title" }, "Hidden"), h("div", { id: "people-hidden", class: "people", role: "list" })),
        h("details", { id: "small-section" }, h("summary", { id: "small-title" }, "Background (only small faces)"), h("div", { id: "people-small", class: "people", role: "list" })))),
    mountPerson());
  lib.onChange = redraw;
}

// show: #/library, #/library/LIB, #/library/LIB/person/ID.
async function show(params) {
  libraries = (await api("GET", "/v1/libraries")).libraries;
  const want = params[0] || state.library;
  useLibrary(libraries.some((l) => l.id === want) ? want : libraries[0]?.id);
  $("library-select").replaceChildren(...libraries.map((l) => new Option(l.name, l.id, false, l.id === state.library)));
  view = params[1] === "person" ? "person:" + params[2] : "overview";
  $("min-face").value = minFace();
  if (state.library) $("library-expiry").value = Math.round((await api("GET", path("/expiry"))).expire_after_seconds / 86400);
  await load();
  await redraw();
}

async function redraw() {
  releaseImages();
  const person = view.startsWith("person:") ? Number(view.slice(7)) : 0;
  $("overview").hidden = $("library-controls").hidden = !!person;
  $("person-view").hidden = !person;
  if (person) return showPerson(person);
  drawPeople();
  drawSuggestions();
}

// personCard links to a person's page, showing its cover face.
function personCard(p) {
  const f = cover(p);
  const img = h("img", { alt: "", width: 96, height: 96 });
  if (f) image(img, thumb(f.id));
  return h("a", { class: "person-card", role: "listitem", href: `#/library/${state.library}/person/${p.id}`, dataset: { person: p.id } },
    img, h("strong", {}, personName(p)), h("small", {}, `${plural(p.faces, "face")} in ${plural(p.photos, "photo")}${p.confirmed ? ", confirmed" : ""}`));
}

function drawPeople() {
  const q = $("people-search").value.trim().toLowerCase();
  const match = (p) => !q || (p.name || "").toLowerCase().includes(q);
  const groups = { named: [], unnamed: [], hidden: [], small: [] };
  for (const p of lib.people) {
    if (!match(p)) continue;
    if (hidden(p)) groups.hidden.push(p);
    else if (background(p)) groups.small.push(p);
    else groups[p.name ? "named" : "unnamed"].push(p);
  }
  groups.named.sort((a, b) => a.name.localeCompare(b.name));
  for (const [k, list] of Object.entries(groups)) $("people-" + k).replaceChildren(...list.map(personCard));
  const empty = (k, text) => { if (!groups[k].length) $("people-" + k).replaceChildren(h("p", { class: "hint" }, text)); };
  empty("named", q ? "Nobody named like that." : state.library ? "Nobody is named yet: open a person and name them." : "Create a library first.");
  empty("unnamed", "None.");
  $("hidden-title").textContent = `Hidden (${groups.hidden.length})`;
  $("small-title").textContent = `Background: only faces under ${minFace()} pixels (${groups.small.length})`;
}

function drawSuggestions() {
  const box = $("suggestions");
  $("suggestions-card").hidden = !lib.suggestions.length;
  box.replaceChildren(...lib.suggestions.slice(0, 8).map((s) => {
    const a = lib.byId.get(s.a), b = lib.byId.get(s.b);
    // Merge into the named one, else the one with more faces.
    const [into, from] = (b.name && !a.name) || (!a.name && !b.name && b.faces > a.faces) ? [b, a] : [a, b];
    const pic = (p) => { const f = cover(p), img = h("img", { alt: personName(p) }); if (f) image(img, thumb(f.id, 112)); return img; };
    return h("div", { class: "suggestion", dataset: { a: s.a, b: s.b } }, pic(a), pic(b),
      h("span", {}, s.reason === "same_name" ? `Both named ${a.name}` : a.name || b.name ? `${a.name || b.name} and an unnamed person look alike` : "These two people look alike"),
      h("button", { type: "button", class: "merge-suggestion", onclick: () => confirmMerge(into, from, $("library-out")) }, "Merge..."));
  }));
}

async function createLibrary(e) {
  const name = $("new-library").value.trim();
  if (!name) return status($("library-out"), "Give the new library a name.", "error");
  await run($("library-out"), "Creating...", async () => {
    const l = await api("POST", "/v1/libraries", { name });
    $("new-library").value = "";
    location.hash = "#/library/" + l.id;
    return `Created library ${l.name}.`;
  }, e.target);
}

function dragOver(e) {
  e.preventDefault();
  e.dataTransfer.dropEffect = "copy";
  $("drop").classList.add("over");
}

// drop reads dropped files and folders (recursively) and uploads them.
async function drop(e) {
  e.preventDefault();
  $("drop").classList.remove("over");
  const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      const f = await new Promise((res, rej) => entry.file(res, rej));
      files.push({ file: f, name: entry.fullPath.replace(/^\//, "") });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const x of batch) await walk(x);
      }
    }
  };
  for (const en of entries) await walk(en);
  if (!entries.length) for (const f of e.dataTransfer.files) files.push({ file: f, name: f.name });
  await upload(files);
}

function chosen(input) {
  const files = [...input.files].map((f) => ({ file: f, name: f.webkitRelativePath || f.name }));
  input.value = "";
  upload(files);
}

// upload sends photos in requests of at most 8 photos and 12 MiB (under
// the server's body limit), waits as a busy server (429) asks, names each
// refused file, records the files' own names, and waits for the grouping.
async function upload(all) {
  const out = $("library-out");
  if (!state.library) return status(out, "Create or choose a library first.", "error");
  const skipped = all.filter((x) => !imageTypes.test(x.name) && !x.file.type.startsWith("image/"));
  const files = all.filter((x) => !skipped.includes(x));
  if (!files.length) return status(out, "No photos among the chosen files.", "error");
  const bar = $("library-progress");
  bar.hidden = false; bar.max = files.length; bar.value = 0;
  const batches = [];
  for (const x of files) {
    const last = batches[batches.length - 1];
    if (last && last.length < 8 && last.bytes + x.file.size <= 12 << 20) { last.push(x); last.bytes += x.file.size; }
    else { const b = [x]; b.bytes = x.file.size; batches.push(b); }
  }
  const start = performance.now(), refused = [], t = { added: 0, dup: 0, faces: 0 };
  let done = 0;
  for (const part of batches) {
    try { await send(part, t); } catch {
      for (const x of part) { // one bad photo refuses its whole request: send them one by one to name it
        try { await send([x], t); } catch (e2) { const base = x.name.split("/").pop(), m = message(e2); refused.push(x.name + ": " + (m.startsWith(base + ": ") ? m.slice(base.length + 2) : m)); }
      }
    }
    done += part.length; bar.value = done;
    const rate = done / ((performance.now() - start) / 1000);
    status(out, `Adding photos: ${done} of ${files.length} (${rate.toFixed(1)} photos/s, about ${Math.ceil((files.length - done) / rate)} s left)...`, "busy");
  }
  let l = await api("GET", path());
  for (let wait = 250; l.grouping_pending; wait = Math.min(2000, wait * 2)) {
    status(out, `Added ${done} photos; grouping ${l.faces} faces into people...`, "busy");
    await new Promise((res) => setTimeout(res, wait));
    l = await api("GET", path());
  }
  await load();
  await redraw();
  const notAdded = [...refused, ...skipped.map((x) => x.name + ": not a photo")];
  status(out, `Added ${t.added} photos (${t.dup} already there), ${plural(t.faces, "face")}. Library: ${l.photos} photos, ${l.faces} faces, ${l.people} people.` +
    (notAdded.length ? "\nNot added:\n" + notAdded.join("\n") : ""), notAdded.length ? "error" : "ok");
}

async function send(part, t) {
  const f = new FormData();
  for (const x of part) f.append("photos", x.file, x.name.split("/").pop());
  let r;
  for (let tries = 1; ; tries++) {
    try { r = await api("POST", path("/photos"), f); break; } catch (e) {
      if (e.status !== 429 || tries === 10) throw e;
      await new Promise((res) => setTimeout(res, e.retryAfter * 1000));
    }
  }
  t.added += r.indexed; t.dup += r.duplicates; t.faces += r.faces;
  // The answer lists the photos in the order sent: record each file's own
  // name (with its folder) for the photo it became.
  const names = {};
  r.photos.forEach((p, i) => { names[p.id] = part[i].name; });
  await api("POST", path("/file-names"), { names });
}

async function saveExpiry() {
  const days = Number($("library-expiry").value), out = $("library-out");
  if (!Number.isInteger(days) || days < 0) return status(out, "Give a whole number of days (0 keeps them).", "error");
  await run(out, "Saving...", async () => {
    await api("PUT", path("/expiry"), { expire_after_seconds: days * 86400 });
    return days ? `Saved: unnamed, unconfirmed people are now erased ${days} days after their newest photo.` : "Saved: unnamed people are now kept.";
  });
}

function saveMinFace() {
  const v = Number($("min-face").value);
  if (!Number.isInteger(v) || v < 0 || v > 4096) return status($("library-out"), "Give a whole number of pixels (0 lists everyone).", "error");
  setMinFace(v);
  drawPeople();
  status($("library-out"), `Saved: people whose faces are all under ${v} pixels are listed under Background.`, "ok");
}

async function forgetLibrary() {
  const l = libraries.find((x) => x.id === state.library);
  if (!l) return;
  const ok = await confirmDialog(`Forget the library ${l.name}?`,
    ["Every photo, face, person and name in it is erased from the server. This cannot be undone."], "Forget", true);
  if (!ok) return status($("library-out"), "Nothing was forgotten.");
  await run($("library-out"), "Forgetting...", async () => {
    await api("DELETE", path());
    useLibrary("");
    if (location.hash !== "#/library") location.hash = "#/library"; // the route shows the next library
    else await show([]);
    return "Library forgotten: everything it held is erased.";
  });
}

register({ path: "library", title: "Photo libraries", mount, show, focus: () => (view.startsWith("person:") ? $("person-name") : null) });
