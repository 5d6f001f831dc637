// Collections and people: choose or create a collection, list and erase
// its people, enrol a person with consent from one or more photos, picking
// the face in photos that show several.
import { api, ApiError, message } from "../api.js";
import { $, h, status, run, confirmDialog, drawBoxes, plural } from "../ui.js";
import { state, useCollection, loadCollections, loadSubjects, fillCollections, subjectName } from "../state.js";
import { snapshot } from "../camera.js";
import { register } from "./registry.js";

let photos = []; // photos to enrol: {blob, name, faces, choice}

function mount(sec) {
  const today = new Date(), next = new Date(today);
  next.setFullYear(today.getFullYear() + 1);
  const day = (d) => d.toISOString().slice(0, 10);
  sec.append(h("div", { class: "grid two" },
    h("div", {},
      h("div", { class: "card" },
        h("h2", {}, "Collection"),
        h("label", { for: "collection" }, "Collection in use"),
        h("select", { id: "collection", onchange: (e) => { useCollection(e.target.value); refresh(); } }),
        h("div", { class: "row" },
          h("div", {}, h("label", { for: "new-collection" }, "New collection"), h("input", { id: "new-collection", placeholder: "e.g. front-door" })),
          h("button", { id: "create-collection", type: "button", onclick: createCollection }, "Create")),
        h("p", { id: "collections-out", class: "status", role: "status", "aria-live": "polite" })),
      h("div", { class: "card" },
        h("h2", { id: "subjects-title" }, "Enrolled people"),
        h("ul", { id: "subjects", class: "plain", "aria-labelledby": "subjects-title" }),
        h("p", { id: "subjects-out", class: "status", role: "status", "aria-live": "polite" }))),
    h("form", { class: "card", id: "enrol-form", onsubmit: (e) => { e.preventDefault(); enrol(); } },
      h("h2", {}, "Enrol a person (with consent)"),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "enrol-name" }, "Name"), h("input", { id: "enrol-name", autocomplete: "off" })),
        h("div", {}, h("label", { for: "enrol-external" }, "Employee or member id"), h("input", { id: "enrol-external", autocomplete: "off" }))),
      h("label", { for: "consent-purpose" }, "Consent: purpose"), h("input", { id: "consent-purpose", placeholder: "office access" }),
      h("label", { for: "consent-evidence" }, "Consent: evidence reference"), h("input", { id: "consent-evidence", placeholder: "signed form #" }),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "consented-at" }, "Consented on"), h("input", { id: "consented-at", type: "date", value: day(today) })),
        h("div", {}, h("label", { for: "expires-at" }, "Consent expires"), h("input", { id: "expires-at", type: "date", value: day(next) }))),
      h("label", { for: "enrol-file" }, "Photos of the person"),
      h("input", { id: "enrol-file", type: "file", accept: "image/*", multiple: true, onchange: (e) => addFiles([...e.target.files]) }),
      h("p", { class: "hint", id: "enrol-advice" }, "Use three or more photos, taken on different days, in different light and from slightly different angles: the person is then recognised more reliably. In a photo with several people, choose the face."),
      h("button", { id: "enrol-cam-btn", type: "button", class: "secondary", onclick: addFromCamera }, "Add a photo from the camera"),
      h("video", { id: "enrol-video", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" }),
      h("ul", { id: "enrol-photos", class: "plain", "aria-label": "Photos to enrol" }),
      h("button", { id: "enrol-btn", type: "submit" }, "Enrol"),
      h("p", { id: "enrol-out", class: "status", role: "status", "aria-live": "polite" }))));
}

async function show() {
  await loadCollections();
  fillCollections($("collection"));
  drawSubjects();
}

async function refresh() {
  await run($("subjects-out"), "Loading people...", async () => { await loadSubjects(); drawSubjects(); });
}

function drawSubjects() {
  const ul = $("subjects");
  if (!state.collection) {
    ul.replaceChildren(h("li", {}, "Create a collection first."));
    return;
  }
  if (!state.subjects.length) {
    ul.replaceChildren(h("li", {}, "Nobody is enrolled yet."));
    return;
  }
  ul.replaceChildren(...state.subjects.map((s) => h("li", { dataset: { subject: s.id } },
    h("span", {}, h("strong", {}, subjectName(s)), ` — consent: ${s.consent.purpose}, until ${s.consent.expires_at.slice(0, 10)}`),
    h("button", { type: "button", class: "danger", "aria-label": "Erase " + subjectName(s), onclick: () => erase(s) }, "Erase"))));
}

async function erase(s) {
  const ok = await confirmDialog("Erase " + subjectName(s) + "?",
    ["Their templates and consent record are erased for good; they will no longer be recognised. This cannot be undone."], "Erase", true);
  if (!ok) return status($("subjects-out"), "Nothing was erased.");
  await run($("subjects-out"), "Erasing...", async () => {
    await api("DELETE", `/v1/collections/${state.collection}/subjects/${s.id}`);
    await loadSubjects();
    drawSubjects();
    return `Erased ${subjectName(s)}.`;
  });
}

async function createCollection(e) {
  const name = $("new-collection").value.trim();
  if (!name) return status($("collections-out"), "Give the new collection a name.", "error");
  await run($("collections-out"), "Creating...", async () => {
    const c = await api("POST", "/v1/collections", { name });
    useCollection(c.id);
    await loadCollections();
    fillCollections($("collection"));
    drawSubjects();
    $("new-collection").value = "";
    return `Created ${c.name}.`;
  }, e.target);
}

// addFiles finds the faces of each photo, so that the user can pick one
// where there are several.
async function addFiles(files) {
  await run($("enrol-out"), "Looking for faces...", async () => {
    for (const f of files) await addPhoto(f, f.name);
    $("enrol-file").value = "";
    return `${plural(photos.length, "photo")} ready. ` + advice();
  });
}

async function addFromCamera(e) {
  await run($("enrol-out"), "Taking a photo...", async () => {
    let b;
    try { b = await snapshot($("enrol-video")); } catch (err) { throw new Error("The camera could not be started: " + message(err)); }
    await addPhoto(b, `camera-${photos.length + 1}.jpg`);
    return `Photo taken: ${plural(photos.length, "photo")} ready. ` + advice();
  }, e.target);
}

const advice = () => (photos.length < 3 ? "Three or more photos per person work best." : "");

async function addPhoto(blob, name) {
  const f = new FormData();
  f.append("image", blob, name);
  const a = await api("POST", "/v1/detect", f);
  photos.push({ blob, name, faces: a.faces, width: a.width, height: a.height, choice: a.faces.length === 1 ? 0 : -1 });
  await drawPhotos();
}

async function drawPhotos() {
  const items = [];
  for (const [i, p] of photos.entries()) {
    const canvas = h("canvas", { class: "result", "aria-label": `${p.name}: ${plural(p.faces.length, "face")}` });
    await drawBoxes(canvas, p.blob, p.faces, p.width, p.height);
    const li = h("li", { dataset: { photo: i } }, h("span", {}, h("strong", {}, p.name), " — ", p.faces.length ? plural(p.faces.length, "face") : "no face found", canvas));
    if (p.faces.length > 1) {
      const fs = h("fieldset", { class: "pick" }, h("legend", {}, "Which face is the person?"));
      p.faces.forEach((_, k) => fs.append(h("label", {},
        h("input", { type: "radio", name: "pick-" + i, value: k, checked: p.choice === k, dataset: { cx: Math.round(p.faces[k].box.x + p.faces[k].box.width / 2) }, onchange: () => { p.choice = k; } }), ` Face ${k + 1}`)));
      li.firstChild.append(fs);
    }
    li.append(h("button", { type: "button", class: "secondary", "aria-label": "Remove " + p.name, onclick: () => { photos.splice(i, 1); drawPhotos(); } }, "Remove"));
    items.push(li);
  }
  $("enrol-photos").replaceChildren(...items);
}

// facePhoto is what is sent for a photo: the photo itself when it shows
// one face, else a crop around the chosen face with the other faces
// greyed out, so the server sees exactly one face.
async function facePhoto(p) {
  if (p.faces.length === 1) return p.blob;
  const bmp = await createImageBitmap(p.blob);
  const sx = bmp.width / p.width, sy = bmp.height / p.height, b = p.faces[p.choice].box;
  const m = 0.6 * Math.max(b.width, b.height);
  const x0 = Math.max(0, b.x - m), y0 = Math.max(0, b.y - m);
  const x1 = Math.min(p.width, b.x + b.width + m), y1 = Math.min(p.height, b.y + b.height + m);
  const c = document.createElement("canvas");
  c.width = Math.round((x1 - x0) * sx);
  c.height = Math.round((y1 - y0) * sy);
  const g = c.getContext("2d");
  g.drawImage(bmp, x0 * sx, y0 * sy, c.width, c.height, 0, 0, c.width, c.height);
  g.fillStyle = "#808080";
  p.faces.forEach((f, k) => {
    if (k === p.choice) return;
    const o = f.box, e = 0.15 * Math.max(o.width, o.height);
    g.fillRect((o.x - e - x0) * sx, (o.y - e - y0) * sy, (o.width + 2 * e) * sx, (o.height + 2 * e) * sy);
  });
  return new Promise((res) => c.toBlob(res, "image/jpeg", 0.95));
}

const dateTime = (id) => ($(id).value ? $(id).value + "T00:00:00Z" : "");

async function enrol() {
  const out = $("enrol-out");
  if (!state.collection) return status(out, "Not enrolled: create or choose a collection first.", "error");
  if (!photos.length) return status(out, "Not enrolled: add a photo, or take one with the camera.", "error");
  const none = photos.find((p) => !p.faces.length);
  if (none) return status(out, `Not enrolled: no face was found in ${none.name}. Remove it or choose another photo.`, "error");
  const open = photos.find((p) => p.choice < 0);
  if (open) return status(out, `Not enrolled: choose which face is the person in ${open.name}.`, "error");
  await run(out, "Enrolling...", async () => {
    const f = new FormData();
    for (const p of photos) f.append("images", await facePhoto(p), p.name.replace(/\.[^.]*$/, "") + ".jpg");
    for (const [k, id] of [["name", "enrol-name"], ["external_id", "enrol-external"], ["consent_purpose", "consent-purpose"], ["consent_evidence", "consent-evidence"]]) f.append(k, $(id).value);
    f.append("consented_at", dateTime("consented-at"));
    f.append("expires_at", dateTime("expires-at"));
    let s;
    try { s = await api("POST", `/v1/collections/${state.collection}/subjects`, f); } catch (e) {
      throw new ApiError("Not enrolled: " + message(e), e.code, e.status);
    }
    const n = photos.length;
    photos = [];
    await drawPhotos();
    await loadSubjects();
    drawSubjects();
    return `Enrolled ${subjectName(s)} from ${plural(n, "photo")}.` + (n < 3 ? " Next time, three or more photos per person work best." : "");
  }, $("enrol-btn"));
}

register({ path: "people", title: "Collections and people", mount, show });
