// Liveness check: a challenge session with the webcam. The server asks for
// a few random actions (turn the head, look up, blink, open the mouth); the
// page shows each one, streams camera frames over a WebSocket, and shows
// the verdict. A live verdict carries a one-time token, which can log an
// enrolled person in (verify) once, within about a minute. Frames go to the
// server only; it keeps none of them once the session ends.
import { api, getKey, plainError } from "../api.js";
import { $, h, status, run } from "../ui.js";
import { state, useCollection, loadCollections, loadSubjects, fillCollections, subjectName } from "../state.js";
import { startCamera } from "../camera.js";
import { register } from "./registry.js";

const outAttrs = (id) => ({ id, class: "status", role: "status", "aria-live": "polite" });
const FRAME_MS = 110; // at most about 9 frames a second
let ws = null;
let token = null;

function mount(sec) {
  sec.append(
    h("p", { class: "hint" }, "Checks that a real person is in front of the camera, not a photo or a screen: " +
      "you are asked for a few movements in a random order. The camera's frames go to this server only, " +
      "and are dropped as soon as the check ends."),
    h("div", { class: "card" },
      h("button", { id: "live-start", type: "button", onclick: start }, "Start the check"),
      h("button", { id: "live-stop", type: "button", class: "secondary", hidden: true, onclick: () => stop("Stopped.") }, "Stop"),
      h("p", { id: "live-prompt", class: "live-prompt", "aria-live": "assertive" }),
      h("div", { id: "live-effort-box", class: "live-effort", hidden: true },
        h("label", { for: "live-effort" }, "How far"),
        h("meter", { id: "live-effort", min: 0, max: 1, low: 0.34, high: 0.99, optimum: 1, value: 0 }),
        h("span", { id: "live-hint", class: "hint" })),
      h("ol", { id: "live-steps", class: "live-steps", "aria-label": "Challenges" }),
      h("video", { id: "live-video", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" }),
      h("p", outAttrs("live-out")),
      h("div", { id: "live-verdict", class: "live-verdict", hidden: true })),
    h("div", { class: "card", id: "live-login", hidden: true },
      h("h2", {}, "Log a person in with this check"),
      h("p", { class: "hint" }, "The check's best frame is compared with the person, once: the token cannot be used again."),
      h("label", { for: "live-collection" }, "Collection"),
      h("select", { id: "live-collection", onchange: async (e) => { useCollection(e.target.value); await loadSubjects(); fillSubjects(); } }),
      h("label", { for: "live-subject" }, "Enrolled person"),
      h("select", { id: "live-subject" }),
      h("button", { id: "live-verify", type: "button", onclick: verify }, "Verify"),
      h("p", outAttrs("live-verify-out"))));
}

function fillSubjects() {
  $("live-subject").replaceChildren(...state.subjects.map((s) => new Option(subjectName(s), s.id)));
}

async function show() {
  await loadCollections();
  fillCollections($("live-collection"));
  fillSubjects();
}

// What to say while an action is under way but not yet far enough.
const further = { turn_left: "a little further", turn_right: "a little further", look_up: "a little higher",
  open_mouth: "wider", blink: "close your eyes fully" };

// guide shows how far the last frame went towards the awaited challenge
// (the server's effort, 0 to 1), and a hint once it is under way.
function guide(m) {
  const box = $("live-effort-box"), e = Math.max(0, Math.min(1, Number(m.effort) || 0));
  box.hidden = !m.challenge || m.faces !== 1;
  $("live-effort").value = e;
  $("live-hint").textContent = e >= 0.3 && e < 1 && further[m.challenge] ? further[m.challenge] : "";
}

function steps(s, done) {
  $("live-steps").replaceChildren(...s.prompts.map((p, i) =>
    h("li", { dataset: { state: i < done ? "done" : i === done ? "now" : "todo" } }, p, i < done ? " — done" : "")));
}

async function start() {
  stop();
  token = null;
  $("live-verdict").hidden = $("live-login").hidden = true;
  status($("live-verify-out"), "");
  $("live-verify").disabled = false;
  await run($("live-out"), "Starting the camera...", async () => {
    const video = $("live-video");
    await startCamera(video);
    const s = await api("POST", "/v1/liveness/sessions", {});
    steps(s, 0);
    $("live-prompt").textContent = s.prompts[0];
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(`${proto}//${location.host}${s.stream_url}?nonce=${encodeURIComponent(s.nonce)}`,
      ["mien.liveness.v1", "bearer." + getKey()]);
    ws = sock;
    sock.binaryType = "arraybuffer";
    let last = 0, decided = false;
    const next = async () => {
      const wait = FRAME_MS - (performance.now() - last);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (sock.readyState !== WebSocket.OPEN) return;
      last = performance.now();
      sock.send(await frame(video));
    };
    sock.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === "session") next();
      else if (m.type === "progress") {
        steps(s, m.completed);
        $("live-prompt").textContent = m.prompt || "Hold still...";
        guide(m);
        status($("live-out"), m.faces === 1 ? `Frame ${m.frame}` : m.faces === 0 ? "No face found: face the camera." : "More than one face: only you, please.", m.faces === 1 ? "busy" : "error");
        next();
      } else if (m.type === "error") {
        status($("live-out"), plainError(m.code, m.message), "error");
        next();
      } else if (m.type === "verdict") {
        decided = true;
        verdict(m.verdict);
      }
    };
    sock.onclose = () => {
      if (ws === sock) ws = null;
      $("live-stop").hidden = true;
      if (!decided) { $("live-prompt").textContent = ""; $("live-effort-box").hidden = true; status($("live-out"), "The connection to the server closed before a verdict.", "error"); }
    };
    sock.onerror = () => status($("live-out"), "The server could not be reached for the check.", "error");
    $("live-stop").hidden = false;
  }, $("live-start"));
}

// frame answers a JPEG of the camera's current picture, at most 640 wide.
function frame(video) {
  const scale = Math.min(1, 640 / (video.videoWidth || 640));
  const c = document.createElement("canvas");
  c.width = Math.round((video.videoWidth || 640) * scale);
  c.height = Math.round((video.videoHeight || 480) * scale);
  c.getContext("2d").drawImage(video, 0, 0, c.width, c.height);
  return new Promise((res) => c.toBlob(res, "image/jpeg", 0.85));
}

// What a person can do about each kind of reason, in plain words. The
// reasons themselves (for developers and support) stay under "Details".
const actionNames = { turn_left: "turning left", turn_right: "turning right", look_up: "looking up", blink: "a blink", open_mouth: "opening the mouth" };
const actionName = (id) => actionNames[id] || "another movement";
function advice(r) {
  let m = /^(\w+) while (\w+) was asked/.exec(r);
  if (m) return `The camera saw ${actionName(m[1])} while it was waiting for ${actionName(m[2])}. Do only the movement shown, then face the camera again.`;
  if ((m = /^challenge (\w+) was not done/.exec(r))) return `The camera did not see ${actionName(m[1])} clearly enough. Make each movement a little bigger and hold it for a moment.`;
  if (/another face/.test(r)) return "A different face appeared during the check. Only the person being checked should be in view.";
  if (/faces, want exactly one/.test(r)) return "More than one face, or none, was in view for a while. Keep only your own face in the picture.";
  if (/passive liveness score/.test(r)) return "The picture looked more like a photo or a screen than a live face. Face the camera itself in even light, with your face filling more of the picture, and try again.";
  if (/no colour/.test(r)) return "The camera sends black-and-white images; the check needs a colour camera.";
  if (/too compressed/.test(r)) return "The camera images were compressed too hard to judge. Use a better connection or a higher image quality.";
  if (/deadline/.test(r)) return "Time ran out before every movement was done. Start a new check and move a little sooner.";
  if (/come back to rest/.test(r)) return "After the last movement, face the camera again until the check ends.";
  if (/flat surface|never moved enough/.test(r)) return "The head did not move like a real head. Turn your head itself, not the camera or the device.";
  if (/jumped|no frame for/.test(r)) return "The video stalled or jumped. Check the connection, hold the camera still and try again.";
  return null;
}

function verdict(v) {
  $("live-prompt").textContent = "";
  $("live-effort-box").hidden = true;
  const box = $("live-verdict");
  const live = v.result === "live";
  // "X while Y was asked" says why Y was then not done: one tip for both
  const other = v.reasons.some((r) => / while \w+ was asked/.test(r));
  const tips = [...new Set(v.reasons.filter((r) => !(other && /was not done/.test(r))).map(advice).filter(Boolean))];
  box.dataset.result = v.result;
  box.replaceChildren(
    h("p", { id: "live-result", class: live ? "ok" : "error" }, h("strong", {}, live ? "Live: a real person did every movement." : "Not live.")),
    h("ul", { id: "live-advice", hidden: live || !tips.length }, ...tips.map((t) => h("li", {}, t))),
    h("details", { id: "live-details", hidden: !v.reasons.length },
      h("summary", {}, "Details"),
      h("ul", { id: "live-reasons" }, ...v.reasons.map((r) => h("li", {}, r)))),
    h("p", { class: "hint" }, `${v.frames} frames` + (v.passive_score == null ? "" : `, passive anti-spoof score ${v.passive_score.toFixed(2)}`) +
      (v.token ? `; a one-time token was issued, good until ${new Date(v.token_expires_at).toLocaleTimeString()}.` : ".")));
  box.hidden = false;
  status($("live-out"), live ? "Check passed." : "Check failed.", live ? "ok" : "error");
  token = v.token || null;
  $("live-login").hidden = !token;
}

async function verify() {
  const sid = $("live-subject").value;
  if (!token || !sid) return status($("live-verify-out"), token ? "Choose a person." : "Run a check first.", "error");
  const fd = new FormData();
  fd.append("liveness_token", token);
  token = null; // used up whatever the answer
  await run($("live-verify-out"), "Verifying...", async () => {
    const r = await api("POST", `/v1/collections/${state.collection}/subjects/${sid}/verify`, fd);
    const name = subjectName(state.subjects.find((s) => s.id === sid) || {});
    return r.decision === "match" ? `Verified: this is ${name} (similarity ${r.similarity.toFixed(2)}).` : `Not verified: this is not ${name}.`;
  }, $("live-verify"));
  $("live-verify").disabled = true;
}

function stop(why) {
  if (ws) { const s = ws; ws = null; s.onclose = null; s.close(); }
  $("live-stop").hidden = true;
  $("live-prompt").textContent = "";
  $("live-effort-box").hidden = true;
  if (why) status($("live-out"), why);
}

register({ path: "liveness", title: "Liveness check", mount, show, signOut: () => { stop(); token = null; $("live-verdict").replaceChildren(); $("live-login").hidden = true; } });
