// ID check: does the portrait on a photo of an ID card or passport page show
// the person of a selfie (a file, or a snapshot from the webcam)? Shows the
// portrait found on the document boxed (and a ghost image, when seen), the
// decision (match, no match, cannot decide) and its reasons. Nothing is
// stored; the server audits the decision only (docs/kyc.md).
import { api } from "../api.js";
import { $, h, status, run, drawBoxes } from "../ui.js";
import { snapshot } from "../camera.js";
import { register } from "./registry.js";

const COLORS = { match: "#1e7b34", no_match: "#b3261e", cannot_decide: "#8a5a00" };
const WORDS = { match: "Match: the document's portrait and the selfie show the same person.",
  no_match: "No match: the document's portrait and the selfie show different people.",
  cannot_decide: "Cannot decide: see the reasons below." };
let selfie = null; // the webcam snapshot, when one was taken

function mount(sec) {
  sec.append(
    h("p", {}, "Check a photo of an ID card or passport page against a selfie. Nothing is stored; only the decision is recorded in the audit log."),
    h("div", { class: "grid two" },
      h("div", { class: "card", id: "idcheck-doc-card" },
        h("h2", {}, "Document"),
        h("label", { for: "idcheck-doc" }, "Photo of the ID card or passport page"),
        h("input", { id: "idcheck-doc", type: "file", accept: "image/*" }),
        h("canvas", { id: "idcheck-doc-canvas", class: "result", hidden: true, "aria-label": "The document with its portrait boxed" })),
      h("div", { class: "card", id: "idcheck-selfie-card" },
        h("h2", {}, "Selfie"),
        h("label", { for: "idcheck-selfie" }, "Photo of the person"),
        h("input", { id: "idcheck-selfie", type: "file", accept: "image/*", onchange: () => { selfie = null; $("idcheck-cam-state").textContent = ""; } }),
        h("button", { id: "idcheck-cam-btn", type: "button", class: "secondary", onclick: takeSelfie }, "Take the selfie with the camera"),
        h("p", { id: "idcheck-cam-state", class: "hint", "aria-live": "polite" }),
        h("video", { id: "idcheck-video", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" }),
        h("canvas", { id: "idcheck-selfie-canvas", class: "result", hidden: true, "aria-label": "The selfie with its face boxed" }))),
    h("div", { class: "card" },
      h("button", { id: "idcheck-btn", type: "button", onclick: check }, "Check"),
      h("p", { id: "idcheck-out", class: "status", role: "status", "aria-live": "polite" }),
      h("p", { id: "idcheck-decision", class: "decision", hidden: true }),
      h("ul", { id: "idcheck-reasons", class: "results" })));
}

async function takeSelfie(e) {
  const out = $("idcheck-cam-state");
  await run(out, "Starting the camera...", async () => {
    selfie = await snapshot($("idcheck-video"));
    $("idcheck-selfie").value = "";
    return "Selfie taken from the camera.";
  }, e.target);
}

async function check(e) {
  const doc = $("idcheck-doc").files[0], self = selfie || $("idcheck-selfie").files[0];
  const out = $("idcheck-out");
  $("idcheck-reasons").replaceChildren();
  $("idcheck-decision").hidden = true;
  if (!doc || !self) return status(out, "Choose a document photo and a selfie (a file or the camera).", "error");
  await run(out, "Checking...", async () => {
    const f = new FormData();
    f.append("document", doc, "document.jpg");
    f.append("selfie", self, "selfie.jpg");
    const r = await api("POST", "/v1/kyc/match", f);
    const color = COLORS[r.decision];
    const boxes = [];
    if (r.portrait) boxes.push({ box: r.portrait.box, color });
    if (r.ghost) boxes.push({ box: r.ghost.box, color: "#5b6578" });
    $("idcheck-doc-canvas").hidden = false;
    await drawBoxes($("idcheck-doc-canvas"), doc, boxes);
    $("idcheck-selfie-canvas").hidden = false;
    await drawBoxes($("idcheck-selfie-canvas"), self, r.selfie.box ? [{ box: r.selfie.box, color }] : []);
    const d = $("idcheck-decision");
    d.hidden = false;
    d.dataset.decision = r.decision;
    d.textContent = WORDS[r.decision];
    d.style.color = color;
    $("idcheck-reasons").replaceChildren(...r.reasons.map((x) => h("li", { "data-code": x.code }, x.message)));
    const sim = r.similarity == null ? "no similarity (a face is missing)" : `similarity ${r.similarity.toFixed(3)}`;
    return `Done: ${sim}; match at ${r.thresholds.match.toFixed(3)} or more, no match below ${r.thresholds.no_match.toFixed(3)}.`;
  }, e.target);
}

register({ path: "idcheck", title: "ID check", mount, show: () => {} });
