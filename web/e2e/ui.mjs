// End-to-end test of mien's web UI: Debian's headless chromium driven by
// playwright-core, against a running mien server with real models. The
// webcam is chromium's fake capture device fed from a Y4M file.
//
// Run by TestWebUI in internal/server (go test ./internal/server -run WebUI),
// which starts the server and passes everything through the environment:
//   MIEN_URL, MIEN_KEY          the server and an admin API key
//   CHROMIUM                    the browser binary
//   CAMERA_Y4M                  what the fake webcam shows (person A, a photo not enrolled from file)
//   PHOTO_A1, PHOTO_A2          two other photos of person A
//   PHOTO_B1, PHOTO_B2          two photos of person B
//   PHOTO_NOFACE                a photo without a face
//   LIBRARY_PHOTOS              photos for the photo library, separated by ":" (two people, four each)
//   PHOTO_CORRUPT               a truncated JPEG
//   SCREENSHOT                  where to save a screenshot of the final page (optional)
import { chromium } from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`ui.mjs: ${name} is not set`);
  return v;
};
let failures = 0;
function check(cond, what) {
  if (cond) console.log(`ok - ${what}`);
  else { console.log(`not ok - ${what}`); failures++; }
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  args: [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${env("CAMERA_Y4M")}`,
  ],
});
const timeout = 60_000;
try {
  const ctx = await browser.newContext({ permissions: ["camera"] });
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => { console.log(`page error: ${e.message}`); failures++; });
  let promptAnswer = "";
  page.on("dialog", (d) => d.accept(d.type() === "prompt" ? promptAnswer : undefined));

  const out = (id) => page.locator(`#${id}`);
  // press clears an output, clicks a button and waits for the answer.
  const press = async (button, id) => {
    await page.evaluate((id) => { document.getElementById(id).textContent = ""; }, id);
    await page.click(button);
    await page.waitForFunction((id) => document.getElementById(id).textContent.trim() !== "", id, { timeout });
    return (await out(id).textContent()).trim();
  };

  await page.goto(env("MIEN_URL") + "/");
  // A wrong key is refused and the rest of the page stays hidden.
  await page.fill("#key", "mien_wrong");
  let text = await press("#signin-btn", "signin-out");
  check(/Sign-in failed/.test(text) && await page.locator("#enrol").isHidden(), `wrong key refused: ${text}`);

  await page.fill("#key", env("MIEN_KEY"));
  text = await press("#signin-btn", "signin-out");
  check(await page.locator("#enrol").isVisible(), "signed in; enrolment visible");

  await page.fill("#new-collection", "front-door");
  text = await press("#create-collection", "collections-out");
  check(text === "Created front-door.", `collection created: ${text}`);

  // Enrol person A from the webcam, with the consent fields.
  await page.fill("#enrol-name", "Alice Example");
  await page.fill("#enrol-external", "emp-001");
  await page.fill("#consent-purpose", "office access");
  await page.fill("#consent-evidence", "signed form 17");
  text = await press("#enrol-cam-btn", "enrol-out");
  check(text === "Enrolled Alice Example.", `enrolled from the webcam: ${text}`);

  // Enrol person B from a file.
  await page.fill("#enrol-name", "Bob Example");
  await page.fill("#enrol-external", "emp-002");
  await page.setInputFiles("#enrol-file", env("PHOTO_B1"));
  text = await press("#enrol-btn", "enrol-out");
  check(text === "Enrolled Bob Example.", `enrolled from a file: ${text}`);

  // A photo without a face is refused with the reason, and nobody is added.
  await page.fill("#enrol-name", "Nobody");
  await page.fill("#enrol-external", "emp-003");
  await page.setInputFiles("#enrol-file", env("PHOTO_NOFACE"));
  text = await press("#enrol-btn", "enrol-out");
  check(/^Not enrolled: .*face/.test(text), `no-face photo refused: ${text}`);
  // Missing consent evidence is refused too.
  await page.fill("#enrol-external", "emp-004");
  await page.fill("#consent-evidence", "");
  await page.setInputFiles("#enrol-file", env("PHOTO_A1"));
  text = await press("#enrol-btn", "enrol-out");
  check(/^Not enrolled: .*evidence/.test(text), `enrolment without consent evidence refused: ${text}`);
  const people = await page.locator("#subjects li").allTextContents();
  check(people.length === 2 && people.some((p) => p.startsWith("Alice Example — consent: office access")) &&
    people.some((p) => p.startsWith("Bob Example")), `two people listed: ${JSON.stringify(people)}`);

  // Identify: a file of A, a file of B, and the webcam (A).
  await page.setInputFiles("#identify-file", env("PHOTO_A2"));
  text = await press("#identify-btn", "identify-out");
  check(/^Face 1: match: Alice Example/.test(text), `identify photo of A: ${text}`);
  await page.setInputFiles("#identify-file", env("PHOTO_B2"));
  text = await press("#identify-btn", "identify-out");
  check(/^Face 1: match: Bob Example/.test(text), `identify photo of B: ${text}`);
  text = await press("#identify-cam-btn", "identify-out");
  check(/^Face 1: match: Alice Example/.test(text), `identify from the webcam: ${text}`);

  // Verify 1:1 against a chosen person: A's photo is A and is not B.
  await page.selectOption("#verify-subject", { label: "Alice Example" });
  await page.setInputFiles("#verify-file", env("PHOTO_A1"));
  text = await press("#verify-btn", "verify-out");
  check(/^Verified: this is Alice Example/.test(text), `verify A against A: ${text}`);
  await page.selectOption("#verify-subject", { label: "Bob Example" });
  text = await press("#verify-btn", "verify-out");
  check(/^Not verified: this is not Bob Example/.test(text), `verify A against B: ${text}`);
  text = await press("#verify-cam-btn", "verify-out");
  check(/^Not verified/.test(text), `verify webcam (A) against B: ${text}`);

  // Compare two photos.
  await page.setInputFiles("#compare-a", env("PHOTO_A1"));
  await page.setInputFiles("#compare-b", env("PHOTO_A2"));
  text = await press("#compare-btn", "compare-out");
  check(/^Same person/.test(text), `compare two photos of A: ${text}`);

  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });

  // Erase B: gone from the list, and B's photo is unknown afterwards.
  await page.locator("#subjects li", { hasText: "Bob Example" }).locator("button").click();
  // The list is emptied and filled again: wait for it to be filled without Bob.
  await page.waitForFunction(() => {
    const lis = [...document.querySelectorAll("#subjects li")];
    return lis.some((li) => li.textContent.includes("Alice")) && !lis.some((li) => li.textContent.includes("Bob"));
  });
  const left = await page.locator("#subjects li").allTextContents();
  check(left.length === 1 && left[0].startsWith("Alice Example"), `Bob erased from the list: ${JSON.stringify(left)}`);
  await page.setInputFiles("#identify-file", env("PHOTO_B2"));
  text = await press("#identify-btn", "identify-out");
  check(text === "Face 1: unknown", `after erasure B's photo is unknown: ${text}`);

  // Photo library: add photos (one corrupt), see people as sheets of thumbnails, name, open a photo with
  // its faces boxed, merge, forget.
  await page.fill("#new-library", "family");
  text = await press("#create-library", "library-out");
  check(text === "Created library family.", `library created: ${text}`);
  const libFiles = env("LIBRARY_PHOTOS").split(":");
  // The first upload request is answered "busy" (429, Retry-After 1): the page waits and sends it again.
  const sent = []; // photos per upload request
  await page.route("**/photos", (route) => {
    const req = route.request();
    if (req.method() !== "POST") return route.continue();
    sent.push((req.postDataBuffer() || Buffer.alloc(0)).toString("latin1").split('name="photos"').length - 1);
    if (sent.length > 1) return route.continue();
    return route.fulfill({ status: 429, headers: { "Retry-After": "1" }, contentType: "application/json",
      body: JSON.stringify({ error: { code: "busy", message: "server: busy: too many images waiting; retry shortly" } }) });
  });
  await page.setInputFiles("#library-files", [...libFiles, env("PHOTO_CORRUPT")]);
  await page.evaluate(() => { document.getElementById("library-out").textContent = ""; });
  await page.click("#library-upload");
  await page.waitForFunction(() => /^Added \d+ photos \(/.test(document.getElementById("library-out").textContent), null, { timeout });
  text = (await out("library-out").textContent()).trim();
  check(text.startsWith(`Added ${libFiles.length} photos (0 already there)`) && /Not added:\ncorrupt\.jpg: /.test(text),
    `photos added, the corrupt one named: ${JSON.stringify(text)}`);
  await page.unroute("**/photos");
  check(sent.length >= 2 && sent[0] === sent[1] && sent[0] > 1, `the busy answer's request was sent again whole: photos per request ${JSON.stringify(sent)}`);
  check(await page.locator("#library-progress").evaluate((b) => b.value === b.max), "progress bar complete");
  const cards = page.locator("#people .person");
  const counts = await cards.locator("small").allTextContents();
  check(counts.length === 2 && counts.every((c) => c.startsWith("4 faces in 4 photos")), `two people of four faces: ${JSON.stringify(counts)}`);
  await page.waitForFunction(() => [...document.querySelectorAll("#people img")].every((i) => i.complete && i.naturalWidth > 0));
  check((await page.locator("#people img").count()) === libFiles.length, "a thumbnail for every face");
  promptAnswer = "Grandpa";
  await cards.first().locator(".name-btn").click();
  await page.waitForFunction(() => document.querySelector("#people .person h3")?.textContent === "Grandpa");
  check(true, "first person named Grandpa");
  const grandpa = cards.filter({ has: page.locator("h3", { hasText: /^Grandpa$/ }) });
  await grandpa.locator("img").first().click();
  await page.waitForFunction(() => !document.getElementById("photo-view").classList.contains("hidden"));
  check(await page.locator("#photo-canvas").getAttribute("data-faces") === "1", "photo shown with its face boxed");
  if (process.env.SCREENSHOT) await page.locator("#library").screenshot({ path: process.env.SCREENSHOT.replace(/\.png$/, "-library.png") });
  // Curation of one face from the photo view: not this person, move back, ignore, unignore.
  // act clears the library's output, does something and waits for the answer.
  const act = async (fn) => {
    await page.evaluate(() => { document.getElementById("library-out").textContent = ""; });
    await fn();
    await page.waitForFunction(() => document.getElementById("library-out").textContent.trim() !== "", null, { timeout });
    return (await out("library-out").textContent()).trim();
  };
  const faceCounts = () => page.locator("#people .person small").allTextContents();
  text = await act(() => page.locator("#photo-faces .not-btn").click());
  let fc = await faceCounts();
  check(fc.length === 3 && fc.filter((c) => c.startsWith("4 faces")).length === 1 && fc.includes("3 faces in 3 photos, confirmed") &&
    fc.includes("1 face in 1 photo, confirmed"), `${text} ${JSON.stringify(fc)}`);
  text = await act(() => page.locator("#photo-faces .move-select").selectOption({ label: "Grandpa" }));
  fc = await faceCounts();
  check(fc.length === 2 && fc.every((c) => c.startsWith("4 faces")), `${text} ${JSON.stringify(fc)}`);
  text = await act(() => page.locator("#photo-faces .ignore-btn").click());
  fc = await faceCounts();
  const h = await page.locator("#photo-faces h3").textContent();
  check(fc.length === 2 && fc.includes("3 faces in 3 photos, confirmed") && /^ignored/.test(h), `${text} ${JSON.stringify(fc)} ${h}`);
  text = await act(() => page.locator("#photo-faces .unignore-btn").click());
  fc = await faceCounts();
  check(fc.length === 2 && fc.every((c) => c.startsWith("4 faces")) && (await page.locator("#photo-faces h3").textContent()) === "Grandpa",
    `${text} ${JSON.stringify(fc)}`);
  text = await act(() => page.click("#photo-delete"));
  fc = await faceCounts();
  check(text === "Photo removed: its faces are erased." && fc.includes("3 faces in 3 photos, confirmed") &&
    await page.locator("#photo-view").isHidden(), `${text} ${JSON.stringify(fc)}`);
  text = await act(() => cards.filter({ hasNot: page.locator("h3", { hasText: /^Grandpa$/ }) }).locator(".merge-select").selectOption({ label: "Grandpa" }));
  fc = await faceCounts();
  check(text === "Merged." && fc.length === 1 && fc[0].startsWith("7 faces in 7 photos, confirmed"), `merged into Grandpa: ${JSON.stringify(fc)}`);
  // Split two faces off Grandpa: select them on the card, then split.
  await grandpa.locator(".split-btn").click();
  await grandpa.locator(".sheet img").nth(0).click();
  await grandpa.locator(".sheet img").nth(1).click();
  check((await grandpa.locator(".split-btn").textContent()) === "Split off 2" && await page.locator("#photo-view").isHidden(),
    "two faces selected for a split (no photo opened)");
  text = await act(() => grandpa.locator(".split-btn").click());
  fc = await faceCounts();
  check(/^Split 2 faces off Grandpa/.test(text) && fc.length === 2 && fc.includes("5 faces in 5 photos, confirmed") &&
    fc.includes("2 faces in 2 photos, confirmed"), `${text} ${JSON.stringify(fc)}`);
  await page.fill("#library-expiry", "30");
  text = await act(() => page.click("#library-expiry-save"));
  const stored = await page.evaluate(async (key) => {
    const lib = document.getElementById("library-select").value;
    const r = await fetch("/v1/libraries/" + lib + "/expiry", { headers: { Authorization: "Bearer " + key } });
    return (await r.json()).expire_after_seconds;
  }, env("MIEN_KEY"));
  check(/erased 30 days after/.test(text) && stored === 30 * 86400, `expiry set: ${text} (stored ${stored} s)`);
  text = await press("#library-forget", "library-out");
  check(/^Library forgotten/.test(text) && (await page.locator("#library-select option").count()) === 0, `library forgotten: ${text}`);
} finally {
  await browser.close();
}
console.log(failures === 0 ? "ui: all checks passed" : `ui: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
