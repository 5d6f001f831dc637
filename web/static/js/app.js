// mien's web app: sign-in, the section menu and hash routing. Each section
// is a module under pages/ that registers itself; a new section (cameras,
// liveness, effects) is one more module and one more import below.
import { api, getKey, setKey, message } from "./api.js";
import { $, h, status } from "./ui.js";
import { pages } from "./pages/registry.js";
import "./pages/people.js";
import "./pages/recognise.js";
import "./pages/liveness.js";
import "./pages/idcheck.js";
import "./pages/library.js";
import "./pages/keys.js";
import "./pages/cameras.js";
import "./pages/driver.js";
import "./pages/effects.js";

let signedIn = false;

// buildNav lists the sections, in their registered order.
function buildNav() {
  const list = $("nav-list");
  list.replaceChildren(...pages.map((p) => h("li", {}, h("a", { href: "#/" + p.path, id: "nav-" + p.path }, p.title))));
  for (const p of pages) {
    p.section = h("section", { id: "page-" + p.path, class: "page", "aria-labelledby": "title-" + p.path, hidden: true },
      h("h1", { id: "title-" + p.path, tabindex: "-1" }, p.title));
    $("main").append(p.section);
    p.mount(p.section);
  }
}

// route shows the section the location's hash names (#/path/params...).
async function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (!signedIn) {
    for (const p of pages) p.section.hidden = true;
    $("signin").hidden = false;
    return;
  }
  const page = pages.find((p) => p.path === parts[0]) || pages[0];
  $("signin").hidden = true;
  for (const p of pages) {
    p.section.hidden = p !== page;
    $("nav-" + p.path).toggleAttribute("aria-current", p === page);
    if (p === page) $("nav-" + p.path).setAttribute("aria-current", "page");
  }
  collapseMenu();
  document.title = page.title + " · mien";
  try {
    await page.show(parts.slice(1));
  } catch (e) {
    console.warn(e);
    const out = page.section.querySelector(".status");
    if (out) status(out, message(e), "error");
  }
  // Move focus to the section's heading (or the element the page asks for)
  // so keyboard and screen-reader users start at the new content.
  const target = page.focus?.() || $("title-" + page.path);
  target.focus({ preventScroll: false });
}

function collapseMenu() {
  $("nav").classList.add("collapsed");
  $("menu-btn").setAttribute("aria-expanded", "false");
}

async function signIn(k) {
  const out = $("signin-out");
  status(out, "Signing in...", "busy");
  setKey(k);
  try {
    await api("GET", "/v1/collections");
  } catch (e) {
    setKey("");
    status(out, "Sign-in failed: " + message(e), "error");
    return;
  }
  signedIn = true;
  status(out, "Signed in.", "ok");
  $("nav").hidden = $("menu-btn").hidden = $("signout-btn").hidden = false;
  await route();
}

function signOut() {
  setKey("");
  signedIn = false;
  $("nav").hidden = $("menu-btn").hidden = $("signout-btn").hidden = true;
  $("key").value = "";
  status($("signin-out"), "Signed out: the key is gone from this tab.", "ok");
  for (const p of pages) p.signOut?.();
  route();
  $("signin-title").focus();
}

buildNav();
collapseMenu();
$("signin-form").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim()); });
$("signout-btn").onclick = signOut;
$("menu-btn").onclick = () => {
  const open = $("nav").classList.toggle("collapsed") === false;
  $("menu-btn").setAttribute("aria-expanded", String(open));
  if (open) $("nav-list").querySelector("a").focus();
};
$("toast-close").onclick = () => { $("toast").hidden = true; };
addEventListener("hashchange", route);
addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !$("nav").classList.contains("collapsed") && $("menu-btn").offsetParent) { collapseMenu(); $("menu-btn").focus(); }
});
if (getKey()) signIn(getKey());
else route();
