// Face effects preview: the webcam with skin smoothing, face slimming, eye
// enlarging, a tone lift and a sticker, drawn by the server and shown as it
// comes back. The strengths change live. No effect changes a face's
// apparent ethnicity or sex; nothing is kept and nobody is identified.
import { message } from "../api.js";
import { $, h, status } from "../ui.js";
import { Live } from "../live.js";
import { register } from "./registry.js";

const sliders = [["beautify", "Skin smoothing"], ["slim", "Face slimming"], ["eyes", "Eye enlarging"], ["tone", "Tone lift"]];
let live = null, frames = 0, url = "", drawn = 0, made = 0;

function mount(sec) {
  sec.append(
    h("p", { class: "hint" }, "Effects follow the face through the camera. Frames are processed as they come and never kept; nobody is identified."),
    h("div", { class: "grid two" },
      h("div", { class: "card" },
        h("img", { id: "effects-img", class: "live", alt: "The camera with the effects", hidden: true }),
        h("video", { id: "effects-video", class: "live small", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" }),
        h("button", { id: "effects-start", type: "button", onclick: start }, "Start"),
        h("button", { id: "effects-stop", type: "button", class: "secondary", onclick: stop, disabled: true }, "Stop"),
        h("p", { id: "effects-out", class: "status", role: "status", "aria-live": "polite" })),
      h("div", { class: "card" },
        ...sliders.flatMap(([id, label]) => [
          h("label", { for: "effects-" + id }, label, " ", h("output", { id: `effects-${id}-val` }, "0")),
          h("input", { id: "effects-" + id, type: "range", min: 0, max: 1, step: 0.05, value: id === "beautify" ? 0.5 : 0, oninput: changed })]),
        h("label", { for: "effects-sticker" }, "Sticker"),
        h("select", { id: "effects-sticker", onchange: changed },
          ...["none", "glasses", "hat", "mask"].map((s) => new Option(s === "none" ? "None" : s[0].toUpperCase() + s.slice(1), s))))));
  for (const [id] of sliders) $(`effects-${id}-val`).textContent = $("effects-" + id).value;
}

function params() {
  const p = { sticker: $("effects-sticker").value };
  for (const [id] of sliders) p[id] = Number($("effects-" + id).value);
  return p;
}

function changed() {
  for (const [id] of sliders) $(`effects-${id}-val`).textContent = $("effects-" + id).value;
  if (live) live.params(params());
}

function onMessage(m) {
  if (m.type === "error") return status($("effects-out"), "A frame was refused: " + m.error, "error");
  frames++;
  status($("effects-out"), `Live: ${frames} frames, ${m.face ? "face found" : "no face"}, ${m.ms.toFixed(0)} ms a frame on the server`, m.face ? "ok" : "");
}

// onFrame shows a frame once it is decoded, so the picture never blanks
// between two frames (the old one is released only then); a frame decoded
// after a newer one was shown is dropped.
async function onFrame(blob) {
  const seq = ++made;
  const next = URL.createObjectURL(blob);
  try {
    const pre = new Image();
    pre.src = next;
    await pre.decode();
  } catch {
    return URL.revokeObjectURL(next);
  }
  if (seq < drawn) return URL.revokeObjectURL(next);
  drawn = seq;
  const img = $("effects-img");
  const old = url;
  url = next;
  img.src = next;
  img.hidden = false;
  if (old) URL.revokeObjectURL(old);
}

async function start() {
  stop();
  frames = 0;
  status($("effects-out"), "Starting the camera...", "busy");
  const p = params();
  live = new Live({ video: $("effects-video"), mode: "effects", fps: 15, query: Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)])),
    onMessage, onFrame, onClose: (why) => { status($("effects-out"), "Stopped: " + why, why === "stopped" ? "" : "error"); buttons(false); } });
  try {
    await live.start();
    buttons(true);
  } catch (e) {
    status($("effects-out"), "The camera could not be started: " + message(e), "error");
  }
}

function stop() {
  if (live) live.stop();
  live = null;
  buttons(false);
}

function buttons(running) {
  $("effects-start").disabled = running;
  $("effects-stop").disabled = !running;
}

register({ path: "effects", title: "Face effects", mount, show: async () => {}, signOut: stop });
