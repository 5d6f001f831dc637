// Small helpers shared by the pages: elements, status lines, dialogs, the
// undo toast and images with numbered boxes.
import { blob, message } from "./api.js";

export const $ = (id) => document.getElementById(id);

// h builds an element: h("button", {class: "x", onclick: f}, "text", child).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// status writes a line into a status element (role=status, aria-live).
export function status(el, text, kind = "") {
  el.textContent = text;
  el.className = "status " + kind;
}

// run does one action: the status says it is working, then what was done
// (fn's answer) or what went wrong, in plain words. The button, if given,
// is disabled meanwhile.
export async function run(el, working, fn, button) {
  status(el, working, "busy");
  if (button) button.disabled = true;
  try {
    const done = await fn();
    if (done !== undefined) status(el, done, "ok");
    else if (el.classList.contains("busy")) status(el, "");
    return true;
  } catch (e) {
    status(el, message(e), "error");
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

// confirmDialog asks before something is done; it answers true to go on.
export function confirmDialog(title, body, ok = "Confirm", danger = false) {
  const d = $("confirm");
  $("confirm-title").textContent = title;
  const b = $("confirm-body");
  b.replaceChildren(...(Array.isArray(body) ? body : [body]).map((x) => (typeof x === "string" ? h("p", {}, x) : x)));
  $("confirm-ok").textContent = ok;
  $("confirm-ok").className = danger ? "danger" : "";
  d.returnValue = "";
  const back = document.activeElement;
  d.showModal();
  $("confirm-cancel").focus();
  return new Promise((res) => d.addEventListener("close", () => { back?.focus?.(); res(d.returnValue === "ok"); }, { once: true }));
}

// promptDialog asks for a line of text; it answers null when cancelled.
export function promptDialog(title, label, value = "") {
  const d = $("prompt");
  $("prompt-title").textContent = title;
  $("prompt-label").textContent = label;
  const input = $("prompt-input");
  input.value = value;
  d.returnValue = "";
  const back = document.activeElement;
  d.showModal();
  input.focus();
  input.select();
  return new Promise((res) => d.addEventListener("close", () => { back?.focus?.(); res(d.returnValue === "ok" ? input.value.trim() : null); }, { once: true }));
}

let toastTimer = 0;
// toast says an action is done, with Undo when it can be undone.
export function toast(text, undo) {
  const t = $("toast"), u = $("toast-undo");
  // Inside an open modal dialog the rest of the page is inert: the message
  // goes into the dialog so that its Undo can be reached.
  const host = [...document.querySelectorAll("dialog[open]")].pop() || document.body;
  if (t.parentElement !== host) host.append(t);
  $("toast-text").textContent = text;
  t.hidden = false;
  u.hidden = !undo;
  u.onclick = undo ? async () => {
    u.hidden = true;
    $("toast-text").textContent = "Undoing...";
    try { $("toast-text").textContent = (await undo()) || "Undone."; } catch (e) { $("toast-text").textContent = "Could not undo: " + message(e); }
  } : null;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { if (!t.matches(":hover, :focus-within")) t.hidden = true; }, undo ? 20000 : 8000);
}

// image loads an API image into an <img> through an object URL.
const urls = new Set();
export function image(img, path) {
  blob(path).then((b) => {
    const u = URL.createObjectURL(b);
    urls.add(u);
    img.src = u;
  }).catch(() => { img.alt += " (could not be loaded)"; img.dataset.failed = "1"; });
  return img;
}
// releaseImages frees the object URLs of images no longer shown.
export function releaseImages() {
  for (const u of urls) URL.revokeObjectURL(u);
  urls.clear();
}

// drawBoxes draws an image (Blob or ImageBitmap) on a canvas with each
// face boxed and numbered from 1. faces: [{box, color}], box in the image's
// pixels (width/height: the size the boxes refer to, if not the bitmap's).
export async function drawBoxes(canvas, source, faces, width, height) {
  const bmp = source instanceof Blob ? await createImageBitmap(source) : source;
  const k = Math.min(1, 1600 / Math.max(bmp.width, bmp.height));
  canvas.width = Math.round(bmp.width * k);
  canvas.height = Math.round(bmp.height * k);
  const g = canvas.getContext("2d");
  g.drawImage(bmp, 0, 0, canvas.width, canvas.height);
  const sx = canvas.width / (width || bmp.width), sy = canvas.height / (height || bmp.height);
  const line = Math.max(2, canvas.width / 250), font = Math.max(14, Math.round(canvas.width / 28));
  g.font = `bold ${font}px system-ui, sans-serif`;
  g.textBaseline = "top";
  faces.forEach((f, i) => {
    const b = f.box, x = b.x * sx, y = b.y * sy;
    g.lineWidth = line;
    g.strokeStyle = f.color || "#2456c8";
    g.strokeRect(x, y, b.width * sx, b.height * sy);
    const n = String(i + 1), w = g.measureText(n).width + font * 0.5;
    g.fillStyle = f.color || "#2456c8";
    g.fillRect(x, Math.max(0, y - font * 1.2), w, font * 1.2);
    g.fillStyle = "#fff";
    g.fillText(n, x + font * 0.25, Math.max(0, y - font * 1.2) + font * 0.1);
  });
  canvas.dataset.faces = faces.length;
  canvas.setAttribute("role", "img");
  return bmp;
}

// plural: "1 face", "3 faces".
export const plural = (n, one, many = one + "s") => n + " " + (n === 1 ? one : many);
