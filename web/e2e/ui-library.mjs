// End-to-end test of mien's web app, part 2: photo libraries. Uploads
// (files with a busy server and a broken file, a folder, drag and drop),
// people as named / unnamed / hidden / background sections, a person's page
// with every face (more than 12), file names kept, the photo dialog and the
// way back, cover faces, hiding, search, merge suggestions, merges chosen
// from faces with a confirmation and an undo, split and undo, curation of
// one face with undo, photo removal after a confirmation, the phone width.
//
// Run by TestWebUI (see ui.mjs), with MIEN_URL, MIEN_KEY, CHROMIUM and:
//   LIBRARY_PHOTOS   8 photos: two people, four each, separated by ":"
//   LIBRARY_FOLDER   a folder of 16 photos of one person (one more person)
//   PHOTO_CORRUPT    a truncated JPEG
//   PHOTO_DROP       a photo of LIBRARY_PHOTOS, dropped again (a duplicate)
//   SCREENSHOTS      a directory for screenshots (optional)
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { env, check, finish, launch, newPage, settled, act, press, confirm, signIn, pageWidth, plainWords } from "./ui-common.mjs";

const url = env("MIEN_URL"), key = env("MIEN_KEY"), shots = process.env.SCREENSHOTS;
const browser = await launch();
try {
  const page = await newPage(browser);
  await signIn(page, url, key);
  await page.goto(url + "/#/library");
  await page.waitForSelector("#page-library:not([hidden])");
  await page.fill("#new-library", "family");
  let text = await press(page, "#create-library", "library-out");
  check(text === "Created library family.", `library created: ${text}`);
  await page.waitForFunction(() => /^#\/library\/lib_/.test(location.hash));
  const lib = location(await page.evaluate(() => location.hash));
  function location(hash) { return hash.split("/")[2]; }
  const apiGet = (path) => page.evaluate(async ([k, p]) => (await fetch(p, { headers: { Authorization: "Bearer " + k } })).json(), [key, `/v1/libraries/${lib}${path}`]);

  // Files: the first request is answered "busy" (429, Retry-After 1): the
  // page waits and sends it again, whole. The broken file is named.
  const files = env("LIBRARY_PHOTOS").split(":");
  const sent = [];
  await page.route("**/photos", (route) => {
    const req = route.request();
    if (req.method() !== "POST") return route.continue();
    sent.push((req.postDataBuffer() || Buffer.alloc(0)).toString("latin1").split('name="photos"').length - 1);
    if (sent.length > 1) return route.continue();
    return route.fulfill({ status: 429, headers: { "Retry-After": "1" }, contentType: "application/json",
      body: JSON.stringify({ error: { code: "busy", message: "server: busy: too many images waiting; retry shortly" } }) });
  });
  text = await act(page, "library-out", () => page.setInputFiles("#library-files", [...files, env("PHOTO_CORRUPT")]));
  await page.unroute("**/photos");
  check(text.startsWith(`Added ${files.length} photos (0 already there)`) && /\nNot added:\ncorrupt\.jpg: .*damaged/.test(text) && plainWords(text),
    `photos added, the broken one named in plain words: ${JSON.stringify(text)}`);
  check(sent.length >= 2 && sent[0] === sent[1] && sent[0] > 1, `the busy answer's request was sent again whole: photos per request ${JSON.stringify(sent)}`);
  const counts = (sel) => page.locator(`${sel} .person-card small`).allTextContents();
  let unnamed = await counts("#people-unnamed");
  check(unnamed.filter((c) => c.startsWith("4 faces in 4 photos")).length === 2, `two unnamed people of four faces: ${JSON.stringify(unnamed)}`);
  await page.waitForFunction(() => [...document.querySelectorAll("#people-unnamed img")].every((i) => i.complete && i.naturalWidth > 0));
  check(true, "every person's cover face loaded");

  // A folder: its files' names are kept with the folder's name.
  const folder = env("LIBRARY_FOLDER");
  text = await act(page, "library-out", () => page.setInputFiles("#library-folder", folder));
  check(/^Added 16 photos \(0 already there\)/.test(text), `a folder of 16 photos added: ${text}`);

  // Drag and drop: a photo the library holds already.
  const drop = readFileSync(env("PHOTO_DROP")).toString("base64");
  text = await act(page, "library-out", () => page.evaluate(([b64, name]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: "image/jpeg" }));
    const zone = document.getElementById("drop");
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, [drop, basename(env("PHOTO_DROP"))]));
  check(/^Added 0 photos \(1 already there\)/.test(text), `a dropped photo is taken (a duplicate here): ${text}`);

  // The person of the folder: a page with every face, not 12.
  const people = (await apiGet("/people")).people;
  const big = people[0];
  check(big.faces > 12, `one person has more than 12 faces (${big.faces})`);
  await page.click(`#people-unnamed a[data-person="${big.id}"]`);
  await page.waitForFunction((n) => document.querySelectorAll("#person-faces .face").length === n, big.faces);
  check(await page.evaluate(() => document.activeElement?.id) === "person-name", "the person's page has the focus on its heading");
  const names = await page.locator("#person-faces .face small").allTextContents();
  check(names.length === big.faces && names.every((n) => /^Holiday\/George_W_Bush_\d{4}\.jpg$/.test(n)),
    `all ${big.faces} faces shown, each with its file's name: ${JSON.stringify(names.slice(0, 3))}...`);
  await page.waitForFunction(() => [...document.querySelectorAll("#person-faces img")].every((i) => i.complete && i.naturalWidth > 0));
  if (shots) await page.screenshot({ path: shots + "/desktop-person.png", fullPage: true });

  // Cover face: select one face, use it as the cover.
  await page.click("#person-select");
  const third = await page.locator("#person-faces .face").nth(2).getAttribute("data-face");
  await page.locator("#person-faces .face").nth(2).click();
  text = await press(page, "#person-cover", "person-out");
  const meta = (await apiGet("/people-meta")).people;
  check(text === "Cover face chosen." && meta.some((m) => m.person === big.id && m.cover === third) &&
    await page.locator(`#person-faces .face[data-face="${third}"] .badge`).textContent() === "cover", `cover chosen: ${text}`);

  // Hide the person, undo, hide again: it moves to "Hidden".
  text = await press(page, "#person-hide", "person-out");
  check(/is hidden/.test(text) && await page.locator("#toast-undo").isVisible(), `hidden, with an undo: ${text}`);
  await page.click("#toast-undo");
  await page.waitForFunction(() => /^Undone/.test(document.getElementById("toast-text").textContent));
  check((await apiGet("/people-meta")).people.every((m) => !m.hidden), "undo: shown again");
  await press(page, "#person-hide", "person-out");
  await page.click("#person-back");
  await page.waitForFunction(() => /^Hidden \(1\)/.test(document.getElementById("hidden-title").textContent));
  check(await page.locator(`#people-hidden a[data-person="${big.id}"]`).count() === 1 && await page.locator(`#people-unnamed a[data-person="${big.id}"]`).count() === 0,
    "the hidden person is listed under Hidden only");

  // A face opens its photo in a dialog, named by its file; Escape is the way back.
  const [p1, p2] = people.filter((p) => p.faces === 4).map((p) => p.id);
  await page.click(`#people-unnamed a[data-person="${p1}"]`);
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 4);
  await page.locator("#person-faces .face").first().click();
  await page.waitForSelector("#photo-dialog[open]");
  await settled(page, "photo-out").catch(() => "");
  await page.waitForFunction(() => document.getElementById("photo-canvas").dataset.faces >= 1);
  const title = await page.locator("#photo-title").textContent();
  check(/^(Colin_Powell|Tony_Blair)_\d{4}\.jpg$/.test(title), `the photo dialog names the file: ${title}`);
  if (shots) await page.screenshot({ path: shots + "/desktop-photo.png" });
  await page.keyboard.press("Escape");
  await page.waitForSelector("#photo-dialog:not([open])", { state: "attached" });
  check(await page.evaluate(() => document.activeElement?.classList.contains("face")), "closing the photo returns to the face");

  // Names: the same name on two people makes a merge suggestion.
  const rename = async (name) => act(page, "person-out", async () => {
    await page.click("#person-rename");
    await page.fill("#prompt-input", name);
    await page.click("#prompt-ok");
  });
  text = await rename("Grandpa");
  check(text === "Named Grandpa.", `named: ${text}`);
  await page.goto(`${url}/#/library/${lib}/person/${p2}`);
  // Both people have 4 faces: wait for p2's own page (still unnamed), not p1's (now "Grandpa").
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 4 &&
    !/^Grandpa/.test(document.querySelector("#person-name")?.textContent || ""));
  await rename("grandpa");
  await page.goto(`${url}/#/library/${lib}`);
  await page.waitForSelector("#suggestions-card:not([hidden])");
  check(/Both named/.test(await page.locator("#suggestions .suggestion").first().textContent()), "suggested: the same name");
  // Cancel, then merge, then undo.
  await page.click("#suggestions .merge-suggestion");
  await confirm(page, false);
  text = await settled(page, "library-out");
  let named = await counts("#people-named");
  check(text === "Not merged." && named.length === 2, `merge cancelled: ${text} ${JSON.stringify(named)}`);
  text = await act(page, "library-out", async () => { await page.click("#suggestions .merge-suggestion"); await confirm(page, true); });
  named = await counts("#people-named");
  check(/^Merged /.test(text) && named.length === 1 && named[0].startsWith("8 faces in 8 photos"), `merged: ${text} ${JSON.stringify(named)}`);
  await page.click("#toast-undo");
  await page.waitForFunction(() => /^Merge undone/.test(document.getElementById("toast-text").textContent));
  await page.waitForFunction(() => document.querySelectorAll("#people-named .person-card").length === 2);
  named = await counts("#people-named");
  const grandpas = (await apiGet("/people")).people.filter((p) => /^grandpa$/i.test(p.name || "")).map((p) => p.id);
  const pairs = await page.locator("#suggestions .suggestion").evaluateAll((els) => els.map((e) => [Number(e.dataset.a), Number(e.dataset.b)]));
  check(named.every((c) => c.startsWith("4 faces in 4 photos")) && grandpas.length === 2 && !pairs.some((p) => grandpas.includes(p[0]) && grandpas.includes(p[1])),
    `merge undone: two people again, no longer suggested (kept apart): ${JSON.stringify(named)} ${JSON.stringify(pairs)}`);
  // The undone merge gave the merged person a new id: find both by name.
  const [g1, g2] = (await apiGet("/people")).people.filter((p) => /^grandpa$/i.test(p.name || "")).sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => p.id);

  // Search by name.
  await page.fill("#people-search", "GRAND");
  check(await page.locator("#people-named .person-card").count() === 2 && await page.locator("#people-unnamed .person-card").count() === 0, "search finds both by name");
  await page.fill("#people-search", "zzz");
  check(await page.locator("#people-named .person-card").count() === 0, "search: nobody named like that");
  await page.fill("#people-search", "");

  // A merge chosen from faces: on p2's page, pick p1 by its face, confirm.
  await page.goto(`${url}/#/library/${lib}/person/${g2}`);
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 4);
  await page.click("#person-merge");
  await page.waitForSelector("#merge-dialog[open]");
  check(await page.locator(`#merge-choices [data-person="${g1}"] img`).count() === 1, "the merge choices are people's faces");
  text = await act(page, "person-out", async () => { await page.click(`#merge-choices [data-person="${g1}"]`); await confirm(page, true); });
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 8);
  check(/^Merged /.test(text), `merged from faces: ${text}`);

  // Split two faces off, then undo.
  await page.click("#person-select");
  await page.locator("#person-faces .face").nth(0).click();
  await page.locator("#person-faces .face").nth(1).click();
  check(await page.locator("#selection-count").textContent() === "2 faces selected", "two faces selected (no photo opened)");
  text = await press(page, "#person-split", "person-out");
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 6);
  check(/^Split 2 faces off grandpa/.test(text), `split: ${text}`);
  await page.click("#toast-undo");
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 8);
  check(true, "split undone: 8 faces again");

  // One face, from its photo: not this person (undo), ignore (undo).
  const faceAct = async (button) => {
    await page.locator("#person-faces .face").first().click();
    await page.waitForSelector("#photo-dialog[open]");
    await page.waitForFunction(() => document.querySelector("#photo-faces li"));
    const t = await act(page, "photo-out", () => page.locator(`#photo-faces ${button}`).first().click());
    await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 7);
    await page.click("#toast-undo");
    await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 8);
    await page.click("#photo-close");
    return t;
  };
  text = await faceAct(".not-btn");
  check(/^Face taken out/.test(text), `not this person, undone: ${text}`);
  text = await faceAct(".ignore-btn");
  check(/^Face ignored/.test(text), `ignored, undone: ${text}`);

  // Removing a photo asks first.
  await page.locator("#person-faces .face").first().click();
  await page.waitForSelector("#photo-dialog[open]");
  await page.waitForFunction(() => document.querySelector("#photo-faces li"));
  await page.click("#photo-delete");
  await confirm(page, false);
  check(await settled(page, "photo-out") === "Nothing was removed.", "removal cancelled");
  text = await act(page, "person-out", async () => { await page.click("#photo-delete"); await confirm(page, true); });
  await page.waitForFunction(() => document.querySelectorAll("#person-faces .face").length === 7);
  check(/^Removed .*: its faces are erased\.$/.test(text) && await page.locator("#photo-dialog").evaluate((d) => !d.open), `photo removed: ${text}`);

  // The phone: the library, a person's page and the photo dialog fit 390 px.
  const phone = await newPage(browser, { width: 390, height: 844 });
  await signIn(phone, url, key);
  for (const [what, hash] of [["library", `#/library/${lib}`], ["person", `#/library/${lib}/person/${g2}`]]) {
    await phone.goto(`${url}/${hash}`);
    await phone.waitForSelector(what === "person" ? "#person-faces .face" : "#people-named .person-card");
    const w = await pageWidth(phone);
    check(w <= 390, `phone: the ${what} page fits 390 px (scrollWidth ${w})`);
    if (shots) await phone.screenshot({ path: `${shots}/phone-${what}.png`, fullPage: true });
  }
  await phone.locator("#person-faces .face").first().click();
  await phone.waitForFunction(() => document.getElementById("photo-canvas").dataset.faces >= 1 && document.querySelector("#photo-faces li"));
  const w = await pageWidth(phone);
  check(w <= 390, `phone: the photo dialog fits 390 px (scrollWidth ${w})`);
  if (shots) await phone.screenshot({ path: `${shots}/phone-photo.png` });

  // Background: a minimum face size over every face moves the unnamed,
  // unconfirmed people there; named ones stay.
  await page.goto(`${url}/#/library/${lib}`);
  await page.waitForSelector("#people-named .person-card");
  const before = await page.locator("#people-unnamed .person-card").count();
  await page.click("#library-settings summary");
  await page.fill("#min-face", "4000");
  text = await press(page, "#min-face-save", "library-out");
  check(await page.locator("#people-unnamed .person-card").count() === 0 && await page.locator("#people-small .person-card").count() === before &&
    await page.locator("#people-named .person-card").count() === 1, `background: ${before} unnamed people moved there (${text})`);
  await page.fill("#min-face", "40");
  await press(page, "#min-face-save", "library-out");
  await page.fill("#library-expiry", "30");
  text = await press(page, "#library-expiry-save", "library-out");
  const stored = (await apiGet("/expiry")).expire_after_seconds;
  check(/erased 30 days after/.test(text) && stored === 30 * 86400, `expiry set: ${text} (stored ${stored} s)`);
  if (shots) await page.screenshot({ path: shots + "/desktop-library.png", fullPage: true });

  text = await act(page, "library-out", async () => { await page.click("#library-forget"); await confirm(page, true); });
  // The list of libraries is drawn again by the route the forgetting moves to, which may end after the status line.
  const emptied = await page.waitForFunction(() => document.querySelectorAll("#library-select option").length === 0).then(() => true, () => false);
  check(/^Library forgotten/.test(text) && emptied, `library forgotten: ${text}`);
} finally {
  await browser.close();
}
finish("ui-library");
