// Identify and verify: identify everyone in a photo (1:N), verify a photo
// against one person (1:1), compare two photos. Every answer shows the
// image with the faces boxed and numbered, and a line per face.
import { api, message } from "../api.js";
import { $, h, status, run, drawBoxes, plural } from "../ui.js";
import { state, useCollection, loadCollections, loadSubjects, fillCollections, subjectName } from "../state.js";
import { snapshot } from "../camera.js";
import { register } from "./registry.js";

const GOOD = "#1e7b34", BAD = "#b3261e", NEUTRAL = "#5b6578";
const outAttrs = (id) => ({ id, class: "status", role: "status", "aria-live": "polite" });

function probeCard(kind, title, extra) {
  return h("div", { class: "card", id: kind + "-card" },
    h("h2", {}, title), ...extra,
    h("label", { for: kind + "-file" }, "Photo"),
    h("input", { id: kind + "-file", type: "file", accept: "image/*" }),
    h("button", { id: kind + "-btn", type: "button", onclick: (e) => probe(kind, () => $(kind + "-file").files[0], e.target) }, "Use this photo"),
    h("button", { id: kind + "-cam-btn", type: "button", class: "secondary", onclick: (e) => probe(kind, camera, e.target) }, "Use the camera"),
    h("p", outAttrs(kind + "-out")),
    h("canvas", { id: kind + "-canvas", class: "result", hidden: true, "aria-label": "The photo with its faces numbered" }),
    h("ol", { id: kind + "-results", class: "results" }));
}

function mount(sec) {
  sec.append(
    h("div", { class: "card" },
      h("label", { for: "recognise-collection" }, "Collection"),
      h("select", { id: "recognise-collection", onchange: async (e) => { useCollection(e.target.value); await loadSubjects(); fillSubjects(); } }),
      h("video", { id: "video", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" })),
    h("div", { class: "grid two" },
      probeCard("identify", "Identify (who is in this photo?)", []),
      probeCard("verify", "Verify (is this the person?)", [
        h("label", { for: "verify-subject" }, "Enrolled person"), h("select", { id: "verify-subject" })]),
      h("div", { class: "card", id: "compare-card" },
        h("h2", {}, "Compare two photos"),
        h("div", { class: "row" },
          h("div", {}, h("label", { for: "compare-a" }, "Photo 1"), h("input", { id: "compare-a", type: "file", accept: "image/*" })),
          h("div", {}, h("label", { for: "compare-b" }, "Photo 2"), h("input", { id: "compare-b", type: "file", accept: "image/*" }))),
        h("button", { id: "compare-btn", type: "button", onclick: compare }, "Compare"),
        h("p", outAttrs("compare-out")),
        h("div", { class: "row" },
          h("canvas", { id: "compare-canvas-a", class: "result", hidden: true, "aria-label": "Photo 1 with the compared face boxed" }),
          h("canvas", { id: "compare-canvas-b", class: "result", hidden: true, "aria-label": "Photo 2 with the compared face boxed" })))));
}

async function show() {
  await loadCollections();
  fillCollections($("recognise-collection"));
  fillSubjects();
}

function fillSubjects() {
  const sel = $("verify-subject"), was = sel.value;
  sel.replaceChildren(...state.subjects.map((s) => new Option(subjectName(s), s.id, false, s.id === was)));
}

async function camera() {
  try { return await snapshot($("video")); } catch (e) { throw new Error("The camera could not be started: " + message(e)); }
}

// probe runs identify or verify on a photo from a file or the camera.
async function probe(kind, source, button) {
  const out = $(kind + "-out");
  $(kind + "-results").replaceChildren();
  if (!state.collection) return status(out, "Create or choose a collection first (Collections and people).", "error");
  if (kind === "verify" && !$("verify-subject").value) return status(out, "Enrol someone first, then choose them.", "error");
  await run(out, kind === "identify" ? "Identifying..." : "Verifying...", async () => {
    const img = await source();
    if (!img) throw new Error("Choose a photo first, or use the camera.");
    const f = new FormData();
    f.append("image", img, "probe.jpg");
    return kind === "identify" ? identify(img, f) : verify(img, f);
  }, button);
}

async function identify(img, f) {
  const r = await api("POST", `/v1/collections/${state.collection}/identify`, f);
  const names = Object.fromEntries(state.subjects.map((s) => [s.id, subjectName(s)]));
  const canvas = $("identify-canvas");
  canvas.hidden = false;
  await drawBoxes(canvas, img, r.faces.map((x) => ({ box: x.box, color: x.decision === "match" ? GOOD : NEUTRAL })));
  $("identify-results").replaceChildren(...r.faces.map((x) => {
    const c = x.candidates[0];
    return x.decision === "match"
      ? h("li", {}, h("span", { class: "match" }, names[c.subject_id] || "an erased person"), ` (similarity ${c.similarity.toFixed(3)})`)
      : h("li", {}, h("span", { class: "nomatch" }, "Unknown"), " (nobody enrolled looks like this)");
  }));
  const matched = r.faces.filter((x) => x.decision === "match").length;
  return r.faces.length ? `Done: ${plural(r.faces.length, "face")} found, ${matched} recognised.` : "Done: no face found in this photo.";
}

async function verify(img, f) {
  const sel = $("verify-subject"), name = sel.selectedOptions[0].textContent;
  const r = await api("POST", `/v1/collections/${state.collection}/subjects/${sel.value}/verify`, f);
  const yes = r.decision === "match";
  const canvas = $("verify-canvas");
  canvas.hidden = false;
  await drawBoxes(canvas, img, [{ box: r.box, color: yes ? GOOD : BAD }]);
  $("verify-results").replaceChildren(h("li", {}, `similarity ${r.similarity.toFixed(3)}, threshold ${r.threshold.toFixed(3)}`));
  const out = $("verify-out");
  status(out, (yes ? "Verified: this is " : "Not verified: this is not ") + name + ".", yes ? "ok" : "error");
  return undefined;
}

async function compare(e) {
  const a = $("compare-a").files[0], b = $("compare-b").files[0];
  const out = $("compare-out");
  if (!a || !b) return status(out, "Choose two photos.", "error");
  await run(out, "Comparing...", async () => {
    const f = new FormData();
    f.append("image_a", a);
    f.append("image_b", b);
    const r = await api("POST", "/v1/compare", f);
    const color = r.same_person ? GOOD : BAD;
    for (const [id, img, box] of [["compare-canvas-a", a, r.box_a], ["compare-canvas-b", b, r.box_b]]) {
      $(id).hidden = false;
      await drawBoxes($(id), img, [{ box, color }]);
    }
    return `${r.same_person ? "Same person" : "Different people"} (similarity ${r.similarity.toFixed(3)}, threshold ${r.threshold.toFixed(3)}).`;
  }, e.target);
}

register({ path: "recognise", title: "Identify and verify", mount, show });
