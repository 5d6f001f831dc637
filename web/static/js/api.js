// The /v1 API with the tab's key, and errors put in plain words.

let key = sessionStorage.getItem("mien-key") || "";

export function getKey() { return key; }
export function setKey(k) {
  key = k;
  if (k) sessionStorage.setItem("mien-key", k);
  else sessionStorage.removeItem("mien-key");
}

// ApiError carries the API's error code; its message is already plain.
export class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

// What each error code means to a person, where the server's own words are
// technical. Codes not listed keep the server's message, cleaned.
const plain = {
  unauthorized: "This key was not accepted: it is unknown, revoked or mistyped. Sign in again.",
  forbidden: "This key's role does not allow that. Ask for a key with more rights.",
  corrupt_image: "The image could not be read: the file is damaged or incomplete.",
  unsupported_image: "This kind of file is not supported. Use JPEG, PNG, WebP, GIF or HEIC photos.",
  image_too_large: "The image is too large (too many pixels).",
  body_too_large: "That is more than the server accepts at once. Send fewer or smaller files.",
  busy: "The server is busy. Try again in a moment.",
  timeout: "The server took too long. Try again with fewer or smaller photos.",
  internal: "Something went wrong on the server. Try again; if it keeps happening, tell the administrator.",
  model_mismatch: "This was made with a different recognition model than the server runs now.",
};

// clean strips internal prefixes ("store: ", "imageio: ", "photo "x": ")
// and anything that is not printable text, and starts with a capital.
export function clean(msg) {
  let m = String(msg || "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, "").replace(/\\x[0-9a-f]{2}/gi, "");
  for (;;) {
    const n = m.replace(/^\s*(store|stream|imageio|server|library|mien|face|detect|embed|align|index|quality|cluster|gallery|api|http|sql|sqlite|json|multipart|unexpected)\s*:\s*/i, "");
    if (n === m) break;
    m = n;
  }
  m = m.trim();
  return m ? m[0].toUpperCase() + m.slice(1) : "";
}

// plainError turns an API answer's error into one sentence.
export function plainError(code, message) {
  if (plain[code]) {
    const file = /^photo "([^"]+)"/.exec(message || "");
    return (file ? file[1] + ": " : "") + plain[code];
  }
  let m = clean(String(message || "").replace(/^photo "([^"]+)":\s*/, "$1: "));
  // "photo.jpg: imageio: ..." after the file name.
  m = m.replace(/^([^:]+:\s*)(?:(?:store|imageio|server|library|mien)\s*:\s*)+/i, "$1");
  return m || "The request failed.";
}

// api calls the API and answers the decoded JSON, or throws ApiError.
export async function api(method, path, body) {
  const opts = { method, headers: { Authorization: "Bearer " + key } };
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  let r;
  try { r = await fetch(path, opts); } catch {
    throw new ApiError("The server could not be reached. Check the connection and try again.", "network", 0);
  }
  const text = await r.text();
  let data = {};
  try { data = text ? JSON.parse(text) : {}; } catch { data = null; }
  if (!r.ok) {
    const code = data?.error?.code || (r.status === 404 ? "no_route" : "internal");
    const e = new ApiError(code === "no_route" ? "This server does not offer that." : plainError(code, data?.error?.message), code, r.status);
    e.retryAfter = Number(r.headers.get("Retry-After")) || 1;
    throw e;
  }
  if (data === null) throw new ApiError("The server's answer could not be read.", "internal", r.status);
  return data;
}

// blob fetches an image (thumbnails and photos need the key too).
export async function blob(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + key } });
  if (!r.ok) throw new ApiError("An image could not be loaded.", "image", r.status);
  return r.blob();
}

// message is what to show for any error.
export function message(e) {
  return e instanceof ApiError ? e.message : clean(e?.message) || "Something went wrong.";
}
