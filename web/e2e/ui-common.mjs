// Shared by the web app's end-to-end scripts (ui.mjs, ui-library.mjs):
// the browser, checks, and waiting on the page's own conditions (status
// lines, dialogs), never on fixed sleeps.
import { chromium } from "playwright-core";

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

let failures = 0;
export function check(cond, what) {
  if (cond) console.log(`ok - ${what}`);
  else { console.log(`not ok - ${what}`); failures++; }
}
export function finish(name) {
  console.log(failures === 0 ? `${name}: all checks passed` : `${name}: ${failures} checks failed`);
  process.exit(failures === 0 ? 0 : 1);
}

export const timeout = 90_000;

export async function launch() {
  const args = ["--no-sandbox"];
  if (process.env.CAMERA_Y4M) {
    args.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${process.env.CAMERA_Y4M}`);
  }
  return chromium.launch({ executablePath: env("CHROMIUM"), args });
}

// newPage opens a page that counts script errors as failures.
export async function newPage(browser, viewport = { width: 1280, height: 900 }) {
  const ctx = await browser.newContext({ viewport, permissions: ["camera"] });
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => { console.log(`page error: ${e.message}`); failures++; });
  return page;
}

// settled waits until a status line has an answer (not "working...").
export async function settled(page, id) {
  await page.waitForFunction((id) => {
    const el = document.getElementById(id);
    return el && el.textContent.trim() !== "" && !el.classList.contains("busy");
  }, id, { timeout });
  return (await page.locator("#" + id).textContent()).trim();
}

// act clears a status line, does something and answers the status line.
export async function act(page, id, fn) {
  await page.evaluate((id) => { const el = document.getElementById(id); el.textContent = ""; el.className = "status"; }, id);
  await fn();
  return settled(page, id);
}

export const press = (page, button, id) => act(page, id, () => page.click(button));

// confirm answers the confirmation dialog (yes: confirm, else cancel). It
// returns once the page has handled the dialog's close event: the event is
// dispatched a task after the dialog loses its open attribute, and what the
// page writes on it ("Nothing was erased.", "Not merged.") otherwise landed
// after the caller had cleared or read the status line.
export async function confirm(page, yes) {
  await page.waitForSelector("#confirm[open]");
  const title = await page.locator("#confirm-title").textContent();
  await page.evaluate(() => {
    window.__confirmClosed = new Promise((r) => document.getElementById("confirm").addEventListener("close", () => setTimeout(r, 0), { once: true }));
  });
  await page.click(yes ? "#confirm-ok" : "#confirm-cancel");
  await page.evaluate(() => window.__confirmClosed);
  return title;
}

export async function signIn(page, url, key) {
  await page.goto(url + "/");
  await page.fill("#key", key);
  const text = await press(page, "#signin-btn", "signin-out");
  await page.waitForSelector("#nav:not([hidden])", { state: "attached" });
  return text;
}

// noSideways: nothing on the page is wider than the viewport.
export const pageWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth);

// plainWords: no internal prefix or raw bytes in a message.
export const plainWords = (t) => !/\b(store|imageio|server|library|mien):/.test(t) && !/[\u0000-\u0008\ufffd]|\\x[0-9a-f]{2}/i.test(t);
