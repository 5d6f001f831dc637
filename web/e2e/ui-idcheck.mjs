// End-to-end test of mien's web app, part 3: the ID check. A synthetic ID
// card (an LFW portrait printed and photographed at an angle) against a
// selfie of another person (no match), against a selfie taken with the
// webcam (chromium's fake camera fed a Y4M of another photo of the same
// person: match), a document without a face (cannot decide, no portrait),
// a missing document, and the phone width.
//
// Run by TestWebUIIDCheck (internal/server/kyc_ui_test.go), with MIEN_URL,
// MIEN_KEY, CHROMIUM, CAMERA_Y4M and:
//   DOCUMENT       the synthetic document photo (JPEG)
//   SELFIE_OTHER   a photo of another person
//   PHOTO_NOFACE   a photo without a face
//   SCREENSHOTS    a directory for screenshots (optional)
import { env, check, finish, launch, newPage, press, signIn, pageWidth, plainWords } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), shots = process.env.SCREENSHOTS;
const browser = await launch();
const decision = (page) => page.locator("#idcheck-decision").getAttribute("data-decision");
const codes = (page) => page.$$eval("#idcheck-reasons li", (l) => l.map((x) => x.dataset.code));
try {
  const page = await newPage(browser);
  await signIn(page, url, key);
  await page.goto(url + "/#/idcheck");
  await page.waitForSelector("#page-idcheck:not([hidden])");
  check(await page.locator("#nav-idcheck").getAttribute("aria-current") === "page", "the menu has ID check, marked current");

  // Nothing chosen: a plain error, nothing sent.
  let text = await press(page, "#idcheck-btn", "idcheck-out");
  check(/^Choose a document photo and a selfie/.test(text), `nothing chosen: ${text}`);

  // Another person's selfie: no match, the portrait boxed on the document.
  await page.setInputFiles("#idcheck-doc", env("DOCUMENT"));
  await page.setInputFiles("#idcheck-selfie", env("SELFIE_OTHER"));
  text = await press(page, "#idcheck-btn", "idcheck-out");
  check(/^Done: similarity -?0\.\d{3}; match at/.test(text), `checked against another person: ${text}`);
  check(await decision(page) === "no_match", `decision no_match: ${await decision(page)}`);
  check(Number(await page.locator("#idcheck-doc-canvas").getAttribute("data-faces")) >= 1, "the document's portrait is boxed");
  check((await codes(page)).includes("score_below_no_match_threshold"), `reason: ${await codes(page)}`);

  // The selfie from the webcam (the same person as the document): match.
  text = await press(page, "#idcheck-cam-btn", "idcheck-cam-state");
  check(text === "Selfie taken from the camera.", `webcam selfie: ${text}`);
  text = await press(page, "#idcheck-btn", "idcheck-out");
  check(/^Done: similarity 0\.\d{3}/.test(text), `checked against the webcam selfie: ${text}`);
  check(await decision(page) === "match", `decision match: ${await decision(page)} ${await codes(page)}`);
  check((await codes(page)).includes("score_above_match_threshold"), `reason: ${await codes(page)}`);
  check(await page.locator("#idcheck-selfie-canvas").getAttribute("data-faces") === "1", "the selfie's face is boxed");
  const words = await page.locator("#idcheck-decision").textContent();
  check(/^Match: /.test(words), `decision in words: ${words}`);
  if (shots) await page.screenshot({ path: `${shots}/idcheck-match.png`, fullPage: true });

  // A document without a face: cannot decide, and why.
  await page.setInputFiles("#idcheck-doc", env("PHOTO_NOFACE"));
  text = await press(page, "#idcheck-btn", "idcheck-out");
  check(/no similarity/.test(text), `document without a face: ${text}`);
  check(await decision(page) === "cannot_decide" && (await codes(page)).includes("no_portrait"), `cannot_decide, no_portrait: ${await codes(page)}`);
  const reasons = await page.locator("#idcheck-reasons").textContent();
  check(plainWords(reasons) && /no face was found on the document/.test(reasons), `reasons in plain words: ${reasons}`);

  // The phone's width: nothing sideways.
  await page.setViewportSize({ width: 375, height: 800 });
  check(await pageWidth(page) <= 375, `no sideways scrolling at 375 px (${await pageWidth(page)})`);
  if (shots) await page.screenshot({ path: `${shots}/idcheck-phone.png`, fullPage: true });
} finally {
  await browser.close();
}
finish("ui-idcheck");
