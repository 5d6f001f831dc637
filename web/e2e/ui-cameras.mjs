// End-to-end test of mien's web app, part 3: cameras. A counting camera is
// added from the page on a live MJPEG stream (bad input first: a clear
// message, nothing added), the webhook secret is shown once, the camera's
// page shows the live preview with track ids, events arriving over SSE and
// the counts chart; the camera is deleted after a confirmation.
//
// Run by TestWebUICameras (internal/server/ui_cameras_test.go), with
// MIEN_URL, MIEN_KEY, CHROMIUM, CAMERA_URL (an MJPEG stream of 640x360
// frames) and SCREENSHOTS (optional).
import { env, check, finish, launch, newPage, press, confirm, signIn, plainWords, timeout } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), cam = env("CAMERA_URL"), shots = process.env.SCREENSHOTS;
const browser = await launch();
try {
  const page = await newPage(browser);
  await signIn(page, url, key);
  await page.goto(url + "/#/cameras");
  await page.waitForSelector("#page-cameras:not([hidden])");
  check(await page.locator("#nav-cameras").count() === 1, "the menu lists Cameras");

  // a counting camera without a line: refused in plain words
  await page.fill("#camera-name", "hall");
  await page.fill("#camera-source", cam);
  await page.fill("#camera-size", "640x360");
  await page.selectOption("#camera-format", "mpjpeg");
  let text = await press(page, "#camera-create", "camera-out");
  check(/line or zones/.test(text) && plainWords(text), `no line: ${text}`);
  check(await page.locator("#cameras li").count() === 0, "nothing added");

  // an access gate checks that faces are live unless told not to
  await page.selectOption("#camera-mode", "gate");
  check(await page.locator("#camera-antispoof").isVisible() && await page.locator("#camera-antispoof").isChecked(),
    "a gate camera's liveness check is shown, on");
  await page.selectOption("#camera-mode", "count");
  check(!(await page.locator("#camera-antispoof").isVisible()), "a counting camera has no liveness check");

  await page.fill("#camera-line", "320,0,320,360");
  await page.fill("#camera-zone", "left: 0,0 320,0 320,360 0,360");
  text = await press(page, "#camera-create", "camera-out");
  check(text === "Added camera hall.", `camera added: ${text}`);
  check(/^whsec_/.test(await page.locator("#camera-secret").textContent()), "the webhook secret is shown once");
  await page.waitForSelector("#cameras li a");
  await page.click("#cameras li a");
  await page.waitForSelector("#camera-page:not([hidden])");
  // the page opens at once and its title comes with the camera's answer
  await page.waitForFunction(() => document.querySelector("#camera-title").textContent !== "", null, { timeout: 10000 }).catch(() => {});
  check((await page.locator("#camera-title").textContent()) === "hall", "the camera's page");

  // the preview: a 640x360 frame, with tracks named
  await page.waitForFunction(() => /#\d+/.test(document.getElementById("camera-tracks").textContent), null, { timeout });
  await page.waitForFunction(() => document.getElementById("camera-preview").complete && document.getElementById("camera-preview").naturalWidth > 0, null, { timeout });
  const size = await page.evaluate(() => [document.getElementById("camera-preview").naturalWidth, document.getElementById("camera-preview").naturalHeight]);
  check(size[0] === 640 && size[1] === 360, `the preview is the camera's frame: ${size}`);
  check(/#\d+/.test(await page.locator("#camera-tracks").textContent()), "track ids beside the preview");

  // events over SSE, then the chart
  await page.waitForSelector("#camera-events li[data-kind]", { timeout });
  const ev = await page.locator("#camera-events li").first().textContent();
  check(/^(in|out) — track #\d+/.test(ev), `an event arrived live: ${ev}`);
  check((await page.locator("#events-out").textContent()) === "Live.", "the event stream is live");
  await page.waitForFunction(() => Number(document.getElementById("counts-chart").dataset.total || 0) > 0, null, { timeout });
  check(true, "the counts chart has crossings");
  const counts = await page.locator("#camera-counts").textContent();
  check(/\d+ in, \d+ out/.test(counts) && /left: \d/.test(counts), `counts and occupancy: ${counts}`);
  if (shots) await page.screenshot({ path: shots + "/cameras.png", fullPage: true });

  // delete after a confirmation
  await page.click("text=All cameras");
  await page.waitForSelector("#cameras-home:not([hidden])");
  await page.click("#cameras li button.danger");
  check(/Delete camera hall/.test(await confirm(page, true)), "deleting asks first");
  await page.waitForFunction(() => /Deleted camera hall/.test(document.getElementById("cameras-out").textContent), null, { timeout });
  check(await page.locator("#cameras li").count() === 0, "the camera is gone");
} finally {
  await browser.close();
}
finish("ui-cameras");
