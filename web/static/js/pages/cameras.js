// Cameras: the tenant's cameras (list, create, delete), and one camera's
// page with a live preview (its last frame with boxes and track ids, polled),
// its events as they happen (Server-Sent Events, read with fetch so the key
// travels in the Authorization header, resumed with Last-Event-ID) and a
// chart of its per-minute counts. Frames are never stored: the preview is
// the server's in-memory last frame.
import { api, getKey, message } from "../api.js";
import { $, h, status, run, confirmDialog } from "../ui.js";
import { register } from "./registry.js";

let live = null; // the open camera page's timers and event stream

function field(id, label, attrs = {}, hint) {
  return [h("label", { for: id }, label), h("input", { id, ...attrs }), hint ? h("p", { class: "hint" }, hint) : null];
}

function mount(sec) {
  sec.append(
    h("p", { class: "hint" }, "A camera counts people crossing a line and in zones (counting: no face is recognised, nothing about " +
      "anyone is kept), or lets enrolled people in (gate: faces are matched against a collection; unknown faces leave no trace). " +
      "Video is analysed in memory and never recorded."),
    h("div", { id: "cameras-home" },
      h("form", { class: "card narrow", id: "camera-form", onsubmit: (e) => { e.preventDefault(); create(); } },
        h("h2", {}, "New camera"),
        ...field("camera-name", "Name", { required: true, autocomplete: "off" }),
        ...field("camera-source", "Stream URL", { required: true, placeholder: "rtsp://user:password@camera/stream" },
          "RTSP, HTTP (MJPEG, MPEG-TS, HLS). The password is stored encrypted and never shown again."),
        h("label", { for: "camera-format" }, "Stream format"),
        h("select", { id: "camera-format" }, new Option("Found by the server (RTSP, MPEG-TS, HLS)", ""), new Option("MJPEG over HTTP", "mpjpeg")),
        h("label", { for: "camera-mode" }, "Mode"),
        h("select", { id: "camera-mode", onchange: modeChanged }, new Option("Counting (line and zones)", "count"), new Option("Access gate (a collection)", "gate")),
        h("div", { id: "camera-gate-fields", hidden: true },
          h("label", { for: "camera-collection" }, "Collection"), h("select", { id: "camera-collection" }),
          h("label", {}, h("input", { id: "camera-antispoof", type: "checkbox", checked: true }), " Check that faces are live"),
          h("p", { class: "hint" }, "A photo or a screen showing someone enrolled is refused (\"not live\") and never identified. " +
            "Turn it off only for a camera without colour (infrared): the check reads every grey face as a photo.")),
        h("div", { id: "camera-count-fields" },
          ...field("camera-line", "Counting line x1,y1,x2,y2", { placeholder: "640,0,640,720" }, "In frame pixels. Crossing from its right to its left (as drawn from the first point) counts as in."),
          ...field("camera-zone", "Zone (optional) name: x,y x,y x,y ...", { placeholder: "entrance: 0,0 640,0 640,720 0,720" })),
        ...field("camera-size", "Frame size", { value: "1280x720" }),
        ...field("camera-fps", "Frames analysed per second", { type: "number", min: "1", max: "30", value: "5" }),
        ...field("camera-webhook", "Webhook URL (optional)", { type: "url", placeholder: "https://example.com/mien-events" }, "Events are posted there, signed (see docs/cameras.md)."),
        h("button", { id: "camera-create", type: "submit" }, "Add camera"),
        h("p", { id: "camera-out", class: "status", role: "status", "aria-live": "polite" }),
        h("div", { id: "camera-once", class: "key-once", hidden: true })),
      h("div", { class: "card" },
        h("h2", { id: "cameras-title" }, "Cameras"),
        h("ul", { id: "cameras", class: "plain", "aria-labelledby": "cameras-title" }),
        h("p", { id: "cameras-out", class: "status", role: "status", "aria-live": "polite" }))),
    h("div", { id: "camera-page", hidden: true },
      h("p", {}, h("a", { href: "#/cameras" }, "All cameras")),
      h("div", { class: "card" },
        h("h2", { id: "camera-title" }),
        h("p", { id: "camera-health", class: "hint", "aria-live": "polite" }),
        h("img", { id: "camera-preview", alt: "The camera's last frame, with boxes and track numbers", class: "result" }),
        h("p", { id: "camera-tracks", class: "hint", "aria-live": "polite" })),
      h("div", { class: "card" },
        h("h2", {}, "Counts per minute"),
        h("canvas", { id: "counts-chart", class: "result", width: 720, height: 200, role: "img", "aria-label": "Bar chart of people in and out per minute" }),
        h("p", { id: "camera-counts", class: "hint", "aria-live": "polite" })),
      h("div", { class: "card" },
        h("h2", { id: "events-title" }, "Events"),
        h("p", { id: "events-out", class: "status", role: "status", "aria-live": "polite" }),
        h("ol", { id: "camera-events", class: "plain", reversed: true, "aria-labelledby": "events-title" }))));
}

function modeChanged() {
  const gate = $("camera-mode").value === "gate";
  $("camera-gate-fields").hidden = !gate;
  $("camera-count-fields").hidden = gate;
}

function stopLive() {
  if (!live) return;
  live.abort.abort();
  clearInterval(live.preview);
  clearInterval(live.counts);
  if (live.url) URL.revokeObjectURL(live.url);
  live = null;
}

async function show(params) {
  stopLive();
  const id = params[0];
  $("cameras-home").hidden = !!id;
  $("camera-page").hidden = !id;
  if (id) return openCamera(id);
  $("camera-once").hidden = true;
  await Promise.all([list(), collections()]);
}

async function collections() {
  try {
    const r = await api("GET", "/v1/collections");
    $("camera-collection").replaceChildren(...(r.collections || []).map((c) => new Option(c.name, c.id)));
  } catch { /* the list shows the error */ }
}

const state = (c) => c.health ? c.health.state + (c.health.last_error ? ` (${c.health.last_error})` : "") : "not running";

async function list() {
  const out = $("cameras-out");
  let cams;
  try {
    cams = (await api("GET", "/v1/cameras")).cameras || [];
  } catch (e) {
    $("cameras").replaceChildren();
    return status(out, message(e), "error");
  }
  status(out, cams.length ? "" : "No cameras yet.");
  $("cameras").replaceChildren(...cams.map((c) => h("li", { dataset: { camera: c.id } },
    h("span", {}, h("a", { href: "#/cameras/" + encodeURIComponent(c.id) }, c.name), ` — ${c.mode === "gate" ? "access gate" + (c.settings && c.settings.anti_spoof === false ? " (liveness check off)" : "") : "counting"}, ${state(c)}`),
    h("button", { type: "button", class: "danger", "aria-label": "Delete camera " + c.name, onclick: () => remove(c) }, "Delete"))));
}

// settings reads the form into a camera request.
function settings() {
  const [width, height] = $("camera-size").value.split("x").map(Number);
  const body = { name: $("camera-name").value.trim(), source: $("camera-source").value.trim(), mode: $("camera-mode").value,
    fps: Number($("camera-fps").value), width, height };
  if ($("camera-format").value) body.format = $("camera-format").value;
  if ($("camera-webhook").value.trim()) body.webhook_url = $("camera-webhook").value.trim();
  if (body.mode === "gate") {
    body.collection_id = $("camera-collection").value;
    body.anti_spoof = $("camera-antispoof").checked;
  }
  else {
    const line = $("camera-line").value.trim();
    if (line) body.line = line.split(",").map(Number);
    const zone = $("camera-zone").value.trim();
    if (zone) {
      const [name, pts] = zone.split(":");
      body.zones = [{ name: name.trim(), polygon: (pts || "").trim().split(/\s+/).map((p) => p.split(",").map(Number)) }];
    }
  }
  return body;
}

async function create() {
  await run($("camera-out"), "Adding...", async () => {
    const c = await api("POST", "/v1/cameras", settings());
    $("camera-once").replaceChildren(h("p", {}, h("strong", {}, "Webhook signing secret (shown once): ")), h("code", { id: "camera-secret" }, c.webhook_secret));
    $("camera-once").hidden = false;
    await list();
    return `Added camera ${c.name}.`;
  }, $("camera-create"));
}

async function remove(c) {
  const ok = await confirmDialog(`Delete camera ${c.name}?`, ["It stops at once, and its events and counts are deleted."], "Delete", true);
  if (!ok) return status($("cameras-out"), "Nothing was deleted.");
  await run($("cameras-out"), "Deleting...", async () => {
    await api("DELETE", "/v1/cameras/" + encodeURIComponent(c.id));
    await list();
    return `Deleted camera ${c.name}.`;
  });
}

async function openCamera(id) {
  const c = await api("GET", "/v1/cameras/" + encodeURIComponent(id));
  $("camera-title").textContent = c.name;
  $("camera-events").replaceChildren();
  live = { abort: new AbortController(), id, last: 0 };
  const mine = live;
  const health = (c) => {
    const hh = c.health;
    $("camera-health").textContent = hh ? `${hh.state}, ${hh.fps.toFixed(1)} frames/s analysed, ${hh.source.dropped} dropped, ${hh.tracks} people tracked now` +
      (hh.last_error ? `. Last error: ${hh.last_error}` : "") : "Not running.";
  };
  health(c);
  mine.preview = setInterval(() => preview(mine), 700);
  mine.counts = setInterval(() => counts(mine, health), 3000);
  preview(mine);
  counts(mine, health);
  events(mine);
}

// preview shows the last frame; the boxes are drawn by the server, and the
// track ids are listed for screen readers from the Mien-Tracks header.
async function preview(mine) {
  if (mine !== live) return;
  try {
    const r = await fetch("/v1/cameras/" + encodeURIComponent(mine.id) + "/snapshot", { headers: { Authorization: "Bearer " + getKey() }, signal: mine.abort.signal });
    if (r.status === 403) return void ($("camera-tracks").textContent = "The live preview needs an admin key (a snapshot is a picture of people).");
    if (!r.ok) return void ($("camera-tracks").textContent = "No frame yet.");
    const tracks = JSON.parse(r.headers.get("Mien-Tracks") || "[]") || [];
    const url = URL.createObjectURL(await r.blob());
    if (mine !== live) return URL.revokeObjectURL(url);
    if (mine.url) URL.revokeObjectURL(mine.url);
    mine.url = url;
    $("camera-preview").src = url;
    $("camera-tracks").textContent = tracks.length ? "Tracks in view: " + tracks.map((t) => "#" + t.track).join(", ") : "Nobody in view.";
  } catch { /* aborted or offline: the next poll tries again */ }
}

async function counts(mine, health) {
  if (mine !== live) return;
  try {
    const [k, c] = await Promise.all([api("GET", "/v1/cameras/" + encodeURIComponent(mine.id) + "/counts"),
      api("GET", "/v1/cameras/" + encodeURIComponent(mine.id))]);
    if (mine !== live) return;
    health(c);
    chart(k.minutes || []);
    const occ = Object.entries(k.occupancy || {}).map(([z, n]) => `${z}: ${n}`).join(", ");
    $("camera-counts").textContent = `Since the camera started: ${k.in || 0} in, ${k.out || 0} out` + (occ ? `. In zones now: ${occ}` : "") + ".";
  } catch (e) {
    $("camera-counts").textContent = message(e);
  }
}

// chart draws in (green) and out (blue) bars per minute for the last hour.
function chart(minutes) {
  const cv = $("counts-chart"), g = cv.getContext("2d");
  g.clearRect(0, 0, cv.width, cv.height);
  const peak = Math.max(1, ...minutes.map((m) => Math.max(m.in, m.out)));
  const w = cv.width / 60, base = cv.height - 20;
  const now = Date.now();
  let total = 0;
  for (const m of minutes) {
    const slot = 59 - Math.floor((now - Date.parse(m.minute)) / 60000);
    if (slot < 0) continue;
    total += m.in + m.out;
    g.fillStyle = "#2e8b57";
    g.fillRect(slot * w, base - (m.in / peak) * (base - 10), w / 2 - 1, (m.in / peak) * (base - 10));
    g.fillStyle = "#3060c0";
    g.fillRect(slot * w + w / 2, base - (m.out / peak) * (base - 10), w / 2 - 1, (m.out / peak) * (base - 10));
  }
  g.fillStyle = "#555";
  g.fillText("60 min ago", 2, cv.height - 5);
  g.fillText("now", cv.width - 24, cv.height - 5);
  cv.dataset.total = String(total);
  cv.setAttribute("aria-label", `Bar chart: ${total} crossings in the last hour, ${peak} at most in one minute`);
}

const words = { in: "in", out: "out", granted: "granted", denied_unknown: "not recognised", expired_consent: "consent expired", denied_not_live: "not live (a photo or a screen)" };

// events reads the camera's Server-Sent Events with fetch (EventSource
// cannot send the key) and reconnects after the last id it saw.
async function events(mine) {
  const out = $("events-out");
  while (mine === live) {
    try {
      const headers = { Authorization: "Bearer " + getKey(), Accept: "text/event-stream" };
      if (mine.last) headers["Last-Event-ID"] = String(mine.last);
      const r = await fetch("/v1/cameras/" + encodeURIComponent(mine.id) + "/events", { headers, signal: mine.abort.signal });
      if (!r.ok) throw new Error("events: " + r.status);
      status(out, "Live.", "ok");
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          dispatch(mine, buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (mine !== live) return;
      status(out, "Reconnecting...", "busy");
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

function dispatch(mine, block) {
  let id = 0, data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("id: ")) id = Number(line.slice(4));
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data || mine !== live) return;
  mine.last = id;
  const e = JSON.parse(data);
  const who = e.detail?.subject_id ? ` — subject ${e.detail.subject_id}` : "";
  const li = h("li", { dataset: { event: e.id, kind: e.kind } },
    h("span", {}, h("strong", {}, words[e.kind] || e.kind), ` — track #${e.detail?.track ?? "?"}${who}, ${new Date(e.at).toLocaleTimeString()}`));
  const ol = $("camera-events");
  ol.prepend(li);
  while (ol.children.length > 200) ol.lastChild.remove();
}

register({ path: "cameras", title: "Cameras", mount, show, signOut: stopLive });

// Leaving a camera's page stops its polling and its event stream.
addEventListener("hashchange", () => { if (!location.hash.startsWith("#/cameras/")) stopLive(); });
