// End-to-end test of mien's live pages: the driver monitor and the face
// effects preview, on chromium's fake webcam fed clips made from real photos
// by scripts/face-clips.sh.
//
// Run by TestWebUILive in internal/server, which starts a real server with
// real models and sets:
//   MIEN_URL, MIEN_KEY   the server and an admin API key
//   CHROMIUM             the browser binary
//   CAMERA_AWAKE         Y4M: eyes open all along (no alert may come)
//   CAMERA_DROWSY        Y4M: eyes open 3 s, closed 3 s, open 3 s, looped
//   SCREENSHOTS          a directory for screenshots (optional)
import { chromium } from "playwright-core";
import { env, check, finish, newPage, signIn, timeout } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), shots = process.env.SCREENSHOTS;

async function withCamera(y4m, fn) {
  const browser = await chromium.launch({ executablePath: env("CHROMIUM"), args: ["--no-sandbox",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${y4m}`] });
  try {
    const page = await newPage(browser);
    await signIn(page, url, key);
    await fn(page);
  } finally {
    await browser.close();
  }
}

// frames is the number in the page's "Live: N frames" status line.
const frames = async (page, id) => Number((/Live: (\d+) frames/.exec(await page.locator("#" + id).textContent()) || [0, 0])[1]);

// The open-eyed driver: gauges move, the level stays ok, no banner, for
// 8 s of the stream (past the 2 s calibration and the 1 s closure threshold).
await withCamera(env("CAMERA_AWAKE"), async (page) => {
  await page.click("#nav-driver");
  await page.click("#driver-start");
  await page.waitForFunction(() => /face found/.test(document.getElementById("driver-out").textContent), null, { timeout });
  const n0 = await frames(page, "driver-out");
  await page.waitForFunction(() => Number((/, ([\d.]+) s,/.exec(document.getElementById("driver-out").textContent) || [0, 0])[1]) >= 8, null, { timeout });
  const n1 = await frames(page, "driver-out");
  const eye = Number(await page.locator("#driver-eye").getAttribute("value"));
  check(n1 - n0 >= 8, `driver page: frames keep coming (${n0} -> ${n1} in 8 s)`);
  check(eye > 0.2, `driver page: eye openness gauge shows open eyes (${eye.toFixed(2)})`);
  check(await page.locator("#driver-alert").isHidden() && (await page.locator("#driver-level").textContent()) === "ok",
    "driver page: open eyes raise no alert");
  check(await page.locator("#driver-events li").count() === 0, "driver page: no alert listed");
  if (shots) await page.screenshot({ path: `${shots}/driver-awake.png` });
  await page.click("#driver-stop");
  check(await page.locator("#driver-start").isEnabled(), "driver page: stopped");
});

// The drowsy driver: eyes closed for 3 s raise the alarm banner.
await withCamera(env("CAMERA_DROWSY"), async (page) => {
  await page.click("#nav-driver");
  await page.click("#driver-start");
  await page.waitForSelector("#driver-alert:not([hidden])", { timeout });
  const text = await page.locator("#driver-alert").textContent();
  check(/Alarm: Eyes closed too long/.test(text), `driver page: closed eyes raise the alarm banner: ${text}`);
  check(/Eyes closed too long \(alarm\)/.test(await page.locator("#driver-events").textContent()), "driver page: the alert is listed");
  if (shots) await page.screenshot({ path: `${shots}/driver-alarm.png` });
  await page.click("#driver-stop");

  // Effects preview on the same camera: frames come back drawn by the
  // server, and a sticker chosen while live is applied.
  await page.click("#nav-effects");
  await page.selectOption("#effects-sticker", "glasses");
  await page.click("#effects-start");
  await page.waitForFunction(() => /Live: [3-9]\d* frames, face found|Live: \d{2,} frames, face found/.test(document.getElementById("effects-out").textContent), null, { timeout });
  // the picture is swapped in once decoded: wait for it (a frame counted in
  // the status line may still be decoding)
  await page.waitForFunction(() => document.getElementById("effects-img").naturalWidth > 0, null, { timeout }).catch(() => {});
  const size = await page.evaluate(() => { const i = document.getElementById("effects-img"); return [i.naturalWidth, i.naturalHeight]; });
  check(size[0] === 640 && size[1] === 480, `effects page: the effect frames are shown (${size})`);
  await page.fill("#effects-slim", "0.6");
  await page.dispatchEvent("#effects-slim", "input");
  const n0 = await frames(page, "effects-out");
  await page.waitForFunction((n) => Number((/Live: (\d+)/.exec(document.getElementById("effects-out").textContent) || [0, 0])[1]) >= n + 3, n0, { timeout });
  check(/ms a frame/.test(await page.locator("#effects-out").textContent()), "effects page: frames keep coming after a slider moved");
  if (shots) await page.screenshot({ path: `${shots}/effects.png` });
  await page.click("#effects-stop");
});
finish("ui-live");
