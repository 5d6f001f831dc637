// Driver monitor: the webcam through the driver monitor, live. Gauges for
// eye openness, PERCLOS, mouth opening (yawns) and head pose, and a banner
// when an alert is raised (long eye closure, drowsiness, yawn, head turned
// away, eyes off the road, no face). Only numbers come back; no identity is
// involved and no frame is kept.
import { message } from "../api.js";
import { $, h, status } from "../ui.js";
import { Live } from "../live.js";
import { register } from "./registry.js";

const alerts = {
  long_closure: "Eyes closed too long",
  drowsy: "Drowsy: the eyes are closed too often (PERCLOS)",
  yawn: "Yawning",
  head_away: "Head turned away from the road",
  gaze_off: "Eyes off the road",
  face_lost: "No face in view",
};

let live = null, frames = 0, lastAlert = "";

function gauge(id, label, max) {
  return h("div", { class: "gauge" },
    h("label", { for: id }, label, " ", h("output", { id: id + "-val", for: id }, "–")),
    h("meter", { id, min: 0, max, value: 0 }));
}

function mount(sec) {
  sec.append(
    h("p", { class: "hint" }, "Watches the driver's eyes, mouth and head through the camera and warns of long eye closures, drowsiness, " +
      "yawns and looking away. Frames are analysed as they come and never kept; nobody is identified."),
    h("div", { id: "driver-alert", class: "alert-banner", role: "alert", hidden: true }),
    h("div", { class: "grid two" },
      h("div", { class: "card" },
        h("video", { id: "driver-video", class: "live", autoplay: true, playsinline: true, muted: true, hidden: true, "aria-label": "Camera preview" }),
        h("button", { id: "driver-start", type: "button", onclick: start }, "Start"),
        h("button", { id: "driver-stop", type: "button", class: "secondary", onclick: stop, disabled: true }, "Stop"),
        h("p", { id: "driver-out", class: "status", role: "status", "aria-live": "polite" })),
      h("div", { class: "card", id: "driver-gauges" },
        h("h2", {}, "Now"),
        gauge("driver-eye", "Eye openness", 0.5),
        gauge("driver-perclos", "PERCLOS (eyes closed, last minute)", 0.5),
        gauge("driver-mouth", "Mouth opening (yawn above 0.45)", 1),
        h("p", {}, "Head: yaw ", h("output", { id: "driver-yaw" }, "–"), "°, pitch ", h("output", { id: "driver-pitch" }, "–"), "°"),
        h("p", {}, "Level: ", h("strong", { id: "driver-level" }, "–")),
        h("h2", {}, "Alerts"),
        h("ol", { id: "driver-events", class: "results" }))));
}

function setGauge(id, v) {
  $(id).value = v;
  $(id + "-val").textContent = v.toFixed(2);
}

function onMessage(m) {
  if (m.type === "error") return status($("driver-out"), "A frame was refused: " + m.error, "error");
  frames++;
  status($("driver-out"), `Live: ${frames} frames, ${m.t.toFixed(1)} s, ${m.face ? "face found" : "no face"}` + (m.dropped ? `, ${m.dropped} dropped` : ""), m.face ? "ok" : "");
  const s = m.sample, st = m.state;
  if (m.face) {
    setGauge("driver-eye", Math.max(s.eye_open[0], s.eye_open[1]));
    setGauge("driver-mouth", s.mouth_open);
    $("driver-yaw").textContent = s.yaw.toFixed(0);
    $("driver-pitch").textContent = s.pitch.toFixed(0);
  }
  setGauge("driver-perclos", st.perclos);
  $("driver-level").textContent = st.level;
  for (const e of m.events || []) {
    if (!alerts[e.kind]) continue;
    lastAlert = alerts[e.kind];
    $("driver-events").prepend(h("li", { class: "alert-" + e.level }, `${e.t.toFixed(1)} s: ${alerts[e.kind]} (${e.level})`));
    while ($("driver-events").children.length > 10) $("driver-events").lastChild.remove();
  }
  const banner = $("driver-alert");
  banner.hidden = st.level === "ok";
  if (!banner.hidden) {
    banner.className = "alert-banner " + st.level;
    banner.textContent = `${st.level === "alarm" ? "Alarm" : st.level === "warning" ? "Warning" : "Caution"}: ${lastAlert || "attention"}`;
  }
}

async function start() {
  stop();
  frames = 0;
  lastAlert = "";
  $("driver-events").replaceChildren();
  status($("driver-out"), "Starting the camera...", "busy");
  live = new Live({ video: $("driver-video"), mode: "driver", fps: 15, onMessage,
    onClose: (why) => { status($("driver-out"), "Stopped: " + why, why === "stopped" ? "" : "error"); buttons(false); } });
  try {
    await live.start();
    buttons(true);
  } catch (e) {
    status($("driver-out"), "The camera could not be started: " + message(e), "error");
  }
}

function stop() {
  if (live) live.stop();
  live = null;
  buttons(false);
}

function buttons(running) {
  $("driver-start").disabled = running;
  $("driver-stop").disabled = !running;
}

register({ path: "driver", title: "Driver monitor", mount, show: async () => {}, signOut: stop });
