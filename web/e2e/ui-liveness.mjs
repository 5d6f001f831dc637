// The liveness page in headless chromium, its fake camera fed one Y4M clip
// per run (made by internal/server's TestWebLiveness from real LFW photos):
// CLIPS is "name=path.y4m=expected" items separated by ":", expected being
// live or not_live. For each clip a fresh browser plays it from its start;
// the page streams the camera over the WebSocket until the verdict. A live
// verdict's token then logs the enrolled person (PERSON) in, once.
import { chromium } from "playwright-core";
import { env, check, finish, newPage, signIn, settled, timeout } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), person = env("PERSON");
const clips = env("CLIPS").split(":").map((s) => s.split("="));

for (const [name, y4m, want] of clips) {
  const browser = await chromium.launch({ executablePath: env("CHROMIUM"),
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${y4m}`] });
  const page = await newPage(browser);
  const seen = []; // the progress the server sent: frame, faces, pose, effort, challenges done
  const efforts = []; // each progress's effort towards the awaited challenge
  page.on("websocket", (ws) => ws.on("framereceived", (f) => {
    try {
      const m = JSON.parse(f.payload);
      if (m.type === "progress") {
        efforts.push(m.effort);
        seen.push(`${m.frame}:${m.faces}f ${Math.round(m.yaw)}/${Math.round(m.pitch)} e${Number(m.effort).toFixed(2)} ${m.completed}${m.failed ? "x" : ""}`);
      }
    } catch { /* binary */ }
  }));
  await signIn(page, url, key);
  await page.click("#nav-liveness");
  await page.waitForSelector("#page-liveness:not([hidden])");
  await page.waitForFunction(() => document.getElementById("live-subject").options.length > 0, null, { timeout });
  const started = Date.now();
  await page.click("#live-start");
  await page.waitForSelector("#live-steps li", { timeout });
  const prompt = (await page.locator("#live-prompt").textContent()).trim();
  check(prompt.length > 0, `${name}: the first challenge is shown ("${prompt}")`);
  if (want === "live") {
    // the guidance meter shows once a frame with one face has come back
    const shown = await page.waitForSelector("#live-effort-box:not([hidden])", { timeout: 60_000 }).then(() => true, () => false);
    check(shown, `${name}: the meter of how far the awaited action has gone is shown`);
  }
  await page.waitForSelector("#live-verdict:not([hidden])", { timeout: 150_000 });
  const result = await page.locator("#live-verdict").getAttribute("data-result");
  const reasons = await page.locator("#live-verdict").textContent();
  console.log(`${name}: ${result} after ${((Date.now() - started) / 1000).toFixed(1)} s: ${reasons.trim()}`);
  check(result === want, `${name}: the verdict is ${want} (got ${result})`);
  // a failed check says what to do in plain words; the reasons themselves sit under Details
  const tips = await page.locator("#live-advice li").allTextContents();
  const raw = await page.locator("#live-reasons li").count();
  if (result === "not_live") {
    check(tips.length > 0 && tips.every((t) => !/_|\d\.\d/.test(t)) && raw > 0 && await page.locator("#live-advice").isVisible(),
      `${name}: plain advice for a failed check (${tips.join(" | ")}), ${raw} reasons under Details`);
  } else {
    check(await page.locator("#live-advice").isHidden(), `${name}: no advice for a passed check`);
  }
  const bad = efforts.filter((e) => typeof e !== "number" || !(e >= 0 && e <= 1));
  check(efforts.length > 0 && bad.length === 0, `${name}: every progress carries an effort in [0, 1] (${efforts.length} progress, bad: ${bad.slice(0, 3).join(", ")})`);
  check(await page.locator("#live-effort-box").isHidden(), `${name}: the meter is hidden with the verdict`);
  if (result !== want) console.log(`${name}: frame:faces yaw/pitch done: ${seen.join(", ")}`);
  const done = await page.locator('#live-steps li[data-state="done"]').count();
  const steps = await page.locator("#live-steps li").count();
  check(want === "live" ? done === steps : done < steps, `${name}: ${done} of ${steps} challenges shown done`);
  if (want === "live" && result === "live") {
    check(await page.locator("#live-login").isVisible(), `${name}: the token can log a person in`);
    await page.selectOption("#live-subject", { label: person });
    await page.click("#live-verify");
    const said = await settled(page, "live-verify-out");
    check(said.startsWith("Verified"), `${name}: the token verifies ${person} ("${said}")`);
    check(await page.locator("#live-verify").isDisabled(), `${name}: the used token cannot be sent again`);
  } else {
    check(!(await page.locator("#live-login").isVisible()), `${name}: no token, nothing to log in with`);
  }
  await browser.close();
}
finish("ui-liveness");
