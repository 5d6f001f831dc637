// End-to-end test of mien's web app, part 1: sign-in, the menu by keyboard,
// collections and people (enrolment from the webcam, from files, picking one
// face of a group photo, refusals in plain words), identify, verify and
// compare with numbered boxes, erasure, keys, and every section at a phone's
// width (390 px) without sideways scrolling. Part 2 is ui-library.mjs.
//
// Run by TestWebUI in internal/server (go test ./internal/server -run WebUI),
// which starts a real server with real models and sets:
//   MIEN_URL, MIEN_KEY      the server and an admin API key
//   CHROMIUM                the browser binary
//   CAMERA_Y4M              what the fake webcam shows (person A)
//   PHOTO_A1, PHOTO_A2      two other photos of person A
//   PHOTO_B1, PHOTO_B2      two photos of person B
//   PHOTO_GROUP             B (left) and C (right) side by side
//   PHOTO_C                 another photo of C
//   PHOTO_NOFACE            a photo without a face
//   PHOTO_CORRUPT           a truncated JPEG
//   SCREENSHOTS             a directory for screenshots (optional)
import { env, check, finish, launch, newPage, settled, act, press, confirm, signIn, pageWidth, plainWords } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), shots = process.env.SCREENSHOTS;
const browser = await launch();
try {
  const page = await newPage(browser);
  // A wrong key is refused and the menu stays hidden.
  await page.goto(url + "/");
  await page.fill("#key", "mien_wrong");
  let text = await press(page, "#signin-btn", "signin-out");
  check(/^Sign-in failed: /.test(text) && plainWords(text) && await page.locator("#nav").isHidden(), `wrong key refused: ${text}`);
  text = await signIn(page, url, key);
  check(text === "Signed in." && await page.locator("#page-people").isVisible(), "signed in; collections and people shown");

  // The menu by keyboard: after sign-in the focus is on the section's
  // heading; Shift+Tab goes back up to the menu, Tab goes through the links
  // in order, the focus is visible, Enter opens the section and moves the
  // focus to its heading.
  check(await page.evaluate(() => document.activeElement?.id) === "title-people", "after sign-in the focus is on the section's heading");
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press("Shift+Tab");
    reached = await page.evaluate(() => document.activeElement?.id === "nav-people");
  }
  check(reached, "Shift+Tab reaches the first menu link");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check(outline !== "none", `the focused link shows its focus (outline ${outline})`);
  await page.keyboard.press("Tab");
  check(await page.evaluate(() => document.activeElement?.id) === "nav-recognise", "Tab moves to the next section's link");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => location.hash === "#/recognise" && document.activeElement?.id === "title-recognise");
  check(await page.locator("#page-recognise").isVisible() && await page.locator("#page-people").isHidden() &&
    await page.locator("#nav-recognise").getAttribute("aria-current") === "page", "Enter opened Identify and verify; focus on its heading");
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input, select")]
    .filter((e) => e.type !== "hidden" && e.type !== "radio" && !e.labels?.length && !e.getAttribute("aria-label")).map((e) => e.id));
  check(unlabelled.length === 0, `every field has a label: unlabelled ${JSON.stringify(unlabelled)}`);
  await page.goBack();
  await page.waitForFunction(() => location.hash === "" || location.hash === "#/" || location.hash === "#/people");
  await page.goto(url + "/#/people");
  await page.waitForSelector("#page-people:not([hidden])");

  await page.fill("#new-collection", "front-door");
  text = await press(page, "#create-collection", "collections-out");
  check(text === "Created front-door.", `collection created: ${text}`);

  // Enrol A from the webcam, with the consent fields.
  await page.fill("#enrol-name", "Alice Example");
  await page.fill("#enrol-external", "emp-001");
  await page.fill("#consent-purpose", "office access");
  await page.fill("#consent-evidence", "signed form 17");
  text = await press(page, "#enrol-cam-btn", "enrol-out");
  check(/^Photo taken: 1 photo ready\. Three or more/.test(text), `webcam photo taken, three photos advised: ${text}`);
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Enrolled Alice Example from 1 photo\./.test(text), `enrolled from the webcam: ${text}`);

  // Enrol B from two files.
  await page.fill("#enrol-name", "Bob Example");
  await page.fill("#enrol-external", "emp-002");
  text = await act(page, "enrol-out", () => page.setInputFiles("#enrol-file", [env("PHOTO_B1"), env("PHOTO_B2")]));
  check(/^2 photos ready/.test(text) && await page.locator("#enrol-photos canvas[data-faces='1']").count() === 2, `two photos with their face boxed: ${text}`);
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Enrolled Bob Example from 2 photos\./.test(text), `enrolled from files: ${text}`);

  // Enrol C from a group photo: the page shows both faces numbered and
  // asks which one; without a choice nothing is enrolled.
  await page.fill("#enrol-name", "Carol Example");
  await page.fill("#enrol-external", "emp-005");
  text = await act(page, "enrol-out", () => page.setInputFiles("#enrol-file", env("PHOTO_GROUP")));
  check(await page.locator("#enrol-photos canvas[data-faces='2']").count() === 1 && await page.locator("#enrol-photos input[type=radio]").count() === 2,
    `group photo: two faces numbered, a choice offered (${text})`);
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Not enrolled: choose which face/.test(text), `no face chosen, nothing enrolled: ${text}`);
  const right = await page.evaluate(() => {
    const r = [...document.querySelectorAll("#enrol-photos input[type=radio]")];
    return r.reduce((a, b) => (Number(b.dataset.cx) > Number(a.dataset.cx) ? b : a)).value;
  });
  await page.check(`#enrol-photos input[type=radio][value="${right}"]`);
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Enrolled Carol Example from 1 photo\./.test(text), `enrolled the chosen face of a group photo: ${text}`);

  // Refusals, in plain words: no face; missing consent evidence; a broken file.
  await page.fill("#enrol-name", "Nobody");
  await page.fill("#enrol-external", "emp-003");
  await act(page, "enrol-out", () => page.setInputFiles("#enrol-file", env("PHOTO_NOFACE")));
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Not enrolled: no face was found in /.test(text), `no-face photo refused: ${text}`);
  await page.click("#enrol-photos button");
  await page.fill("#enrol-external", "emp-004");
  await page.fill("#consent-evidence", "");
  await act(page, "enrol-out", () => page.setInputFiles("#enrol-file", env("PHOTO_A1")));
  text = await press(page, "#enrol-btn", "enrol-out");
  check(/^Not enrolled: .*evidence/.test(text) && plainWords(text), `enrolment without consent evidence refused in plain words: ${text}`);
  await page.click("#enrol-photos button");
  text = await act(page, "enrol-out", () => page.setInputFiles("#enrol-file", env("PHOTO_CORRUPT")));
  check(/damaged or incomplete/.test(text) && plainWords(text), `a broken file, in plain words: ${text}`);
  const people = await page.locator("#subjects li").allTextContents();
  check(people.length === 3 && people.some((p) => p.startsWith("Alice Example — consent: office access")), `three people listed: ${JSON.stringify(people)}`);

  // Identify: numbered boxes and a line per face.
  await page.goto(url + "/#/recognise");
  await page.waitForSelector("#page-recognise:not([hidden])");
  const identify = async (file) => {
    const t = file ? await act(page, "identify-out", async () => { await page.setInputFiles("#identify-file", file); await page.click("#identify-btn"); })
      : await press(page, "#identify-cam-btn", "identify-out");
    return { text: t, faces: await page.locator("#identify-canvas").getAttribute("data-faces"), lines: await page.locator("#identify-results li").allTextContents() };
  };
  let r = await identify(env("PHOTO_A2"));
  check(r.faces === "1" && /^Alice Example \(similarity/.test(r.lines[0]) && /1 recognised/.test(r.text), `identify A: ${JSON.stringify(r)}`);
  r = await identify(env("PHOTO_GROUP"));
  check(r.faces === "2" && r.lines.some((l) => l.startsWith("Bob Example")) && r.lines.some((l) => l.startsWith("Carol Example")), `identify a group: ${JSON.stringify(r)}`);
  r = await identify(env("PHOTO_C"));
  check(/^Carol Example/.test(r.lines[0]), `identify another photo of C: ${JSON.stringify(r)}`);
  r = await identify(null);
  check(/^Alice Example/.test(r.lines[0]), `identify from the webcam: ${JSON.stringify(r)}`);
  r = await identify(env("PHOTO_CORRUPT"));
  check(/damaged or incomplete/.test(r.text) && plainWords(r.text), `identify a broken file: ${r.text}`);

  // Verify 1:1: the photo with the face boxed, and the decision.
  await page.selectOption("#verify-subject", { label: "Alice Example" });
  await page.setInputFiles("#verify-file", env("PHOTO_A1"));
  text = await press(page, "#verify-btn", "verify-out");
  check(text === "Verified: this is Alice Example." && await page.locator("#verify-canvas").getAttribute("data-faces") === "1", `verify A against A: ${text}`);
  await page.selectOption("#verify-subject", { label: "Bob Example" });
  text = await press(page, "#verify-btn", "verify-out");
  check(text === "Not verified: this is not Bob Example.", `verify A against B: ${text}`);
  text = await press(page, "#verify-cam-btn", "verify-out");
  check(/^Not verified/.test(text), `verify the webcam (A) against B: ${text}`);

  await page.setInputFiles("#compare-a", env("PHOTO_A1"));
  await page.setInputFiles("#compare-b", env("PHOTO_A2"));
  text = await press(page, "#compare-btn", "compare-out");
  check(/^Same person/.test(text) && await page.locator("#compare-canvas-b").getAttribute("data-faces") === "1", `compare two photos of A: ${text}`);
  if (shots) await page.screenshot({ path: shots + "/desktop-recognise.png", fullPage: true });

  // Erase B, after a confirmation: gone, and B's photo is unknown afterwards.
  await page.goto(url + "/#/people");
  await page.waitForSelector("#subjects li");
  await page.locator("#subjects li", { hasText: "Bob Example" }).locator("button").click();
  await confirm(page, false);
  check(await page.locator("#subjects li", { hasText: "Bob Example" }).count() === 1, "erasure cancelled: Bob still listed");
  text = await act(page, "subjects-out", async () => {
    await page.locator("#subjects li", { hasText: "Bob Example" }).locator("button").click();
    await confirm(page, true);
  });
  const left = await page.locator("#subjects li").allTextContents();
  check(text === "Erased Bob Example." && left.length === 2 && !left.some((l) => l.includes("Bob")), `Bob erased: ${text} ${JSON.stringify(left)}`);
  if (shots) await page.screenshot({ path: shots + "/desktop-people.png", fullPage: true });
  await page.goto(url + "/#/recognise");
  await page.waitForSelector("#page-recognise:not([hidden])");
  r = await identify(env("PHOTO_B2"));
  check(r.lines.length === 1 && /^Unknown/.test(r.lines[0]), `after erasure B's photo is unknown: ${JSON.stringify(r)}`);

  // Keys: list, create (shown once), revoke; a revoked key is refused.
  await page.goto(url + "/#/keys");
  await page.waitForSelector("#page-keys:not([hidden])");
  const hasKeys = await page.evaluate(async (k) => (await fetch("/v1/keys", { headers: { Authorization: "Bearer " + k } })).status !== 404, key);
  if (!hasKeys) {
    text = await settled(page, "keys-list-out");
    check(/does not offer key management/.test(text) && await page.locator("#key-form").isHidden(), `no keys API: the page says so: ${text}`);
  } else {
    await settled(page, "keys-list-out").catch(() => "");
    const before = await page.locator("#keys li").count();
    await page.selectOption("#key-role", "read");
    text = await press(page, "#key-create", "keys-out");
    const secret = (await page.locator("#key-secret").textContent()).trim();
    check(/^Created a read key/.test(text) && secret.startsWith("mien_") && await page.locator("#keys li").count() === before + 1, `key created and shown once: ${text}`);
    const id = /\(([^)]+)\)/.exec(text)[1];
    const status = () => page.evaluate(async (k) => (await fetch("/v1/collections", { headers: { Authorization: "Bearer " + k } })).status, secret);
    check(await status() === 200, "the new key works");
    text = await act(page, "keys-list-out", async () => {
      await page.locator(`#keys li[data-key="${id}"] button`).click();
      await confirm(page, true);
    });
    check(/^Revoked key/.test(text) && await status() === 401, `key revoked and refused at once: ${text}`);
    await auditChecks(page, id);
  }
  if (shots) await page.screenshot({ path: shots + "/desktop-keys.png", fullPage: true });

  // The phone: 390 px wide, no sideways scrolling in any section; the menu
  // is a button that opens by keyboard.
  const phone = await newPage(browser, { width: 390, height: 844 });
  await signIn(phone, url, key);
  check(await phone.locator("#menu-btn").isVisible() && await phone.locator("#nav-people").isHidden(), "phone: the menu is collapsed behind a button");
  await phone.focus("#menu-btn");
  await phone.keyboard.press("Enter");
  await phone.waitForFunction(() => document.activeElement?.id === "nav-people");
  check(await phone.locator("#menu-btn").getAttribute("aria-expanded") === "true", "phone: Enter opens the menu, focus on its first link");
  await phone.keyboard.press("Tab");
  await phone.keyboard.press("Enter");
  await phone.waitForFunction(() => location.hash === "#/recognise" && document.activeElement?.id === "title-recognise");
  check(await phone.locator("#nav-people").isHidden(), "phone: choosing a section closes the menu");
  // A readwrite key may not read the audit log: the page says so in plain words.
  const rw = await page.evaluate(async (k) => (await (await fetch("/v1/keys", { method: "POST", headers: { Authorization: "Bearer " + k, "Content-Type": "application/json" },
    body: JSON.stringify({ role: "readwrite" }) })).json()).key, key);
  const writer = await newPage(browser);
  await signIn(writer, url, rw);
  await writer.goto(url + "/#/keys");
  text = await settled(writer, "audit-out");
  check(/role does not allow/.test(text) && plainWords(text) && await writer.locator("#audit li").count() === 0, `a readwrite key is refused the audit log in plain words: ${text}`);
  await writer.close();

  for (const p of ["people", "recognise", "library", "keys"]) {
    await phone.goto(url + "/#/" + p);
    await phone.waitForSelector(`#page-${p}:not([hidden])`);
    await phone.waitForFunction(() => !document.querySelector(".status.busy"));
    if (p === "recognise") {
      await phone.setInputFiles("#identify-file", env("PHOTO_GROUP"));
      await press(phone, "#identify-btn", "identify-out");
    }
    if (p === "keys") await phone.waitForSelector("#audit li");
    const w = await pageWidth(phone);
    check(w <= 390, `phone: ${p} fits 390 px (scrollWidth ${w})`);
    if (shots) await phone.screenshot({ path: `${shots}/phone-${p}.png`, fullPage: true });
  }
} finally {
  await browser.close();
}
finish("ui");

// auditChecks: the audit list shows what the browser just did (enrolments,
// the erasure, identifications, the key made and revoked), newest first;
// the action filter; "Load more" by keyboard.
async function auditChecks(page, revoked) {
  const rows = () => page.locator("#audit li").evaluateAll((ls) => ls.map((l) => ({ seq: Number(l.dataset.seq), action: l.dataset.action, text: l.textContent })));
  let text = await settled(page, "audit-out");
  let r = await rows();
  check(r.length > 0 && r.every((x, i) => i === 0 || x.seq < r[i - 1].seq), `audit: ${r.length} entries newest first (${text})`);
  check(r[0]?.action === "key.revoke" && r[0].text.includes("key revoked") && r[0].text.includes(revoked), `audit: the revocation is the newest entry: ${r[0]?.text}`);
  check(r.some((x) => x.action === "key.create" && x.text.includes(revoked)), "audit: the key's creation is listed");
  check(r.some((x) => x.action === "identify") && r.some((x) => x.action === "verify"), "audit: identifications and verifications are listed");
  text = await act(page, "audit-out", () => page.selectOption("#audit-action", "subject.enroll"));
  r = await rows();
  check(r.length === 3 && r.every((x) => x.action === "subject.enroll" && /person enrolled/.test(x.text) && /templates \d/.test(x.text)) &&
    await page.locator("#audit-more").isHidden(), `audit: three enrolments (${text})`);
  text = await act(page, "audit-out", () => page.selectOption("#audit-action", "subject.delete"));
  r = await rows();
  check(r.length === 1 && /person erased/.test(r[0].text), `audit: Bob's erasure (${text})`);
  // More key creations than a page holds: "Load more", by keyboard.
  await page.evaluate(async (k) => {
    for (let i = 0; i < 30; i++) await fetch("/v1/keys", { method: "POST", headers: { Authorization: "Bearer " + k, "Content-Type": "application/json" }, body: '{"role":"read"}' });
  }, key);
  text = await act(page, "audit-out", () => page.selectOption("#audit-action", "key.create"));
  const first = (await rows()).length;
  check(first === 25 && await page.locator("#audit-more").isVisible(), `audit: a first page of 25 key creations (${text})`);
  await page.focus("#audit-more");
  text = await act(page, "audit-out", () => page.keyboard.press("Enter"));
  r = await rows();
  check(r.length > first && r.every((x, i) => x.action === "key.create" && (i === 0 || x.seq < r[i - 1].seq)) && new Set(r.map((x) => x.seq)).size === r.length,
    `audit: Load more by keyboard adds the older entries (${r.length}: ${text})`);
  check(await page.locator("#audit-more").isHidden() && /oldest included/.test(text) &&
    await page.evaluate(() => document.activeElement?.id) === "audit-title", "audit: the last page hides Load more; the focus goes to the list's heading");
  await act(page, "audit-out", () => page.selectOption("#audit-action", ""));
}
