// The photo library in use, as the pages show it: its people with their
// faces, covers and settings, the uploaded files' names and the merge
// suggestions; and the curation steps, each able to undo itself.
import { api } from "../api.js";
import { state } from "../state.js";
import { plural } from "../ui.js";

export const lib = {
  people: [], byId: new Map(), faces: [], facesOf: new Map(), meta: new Map(), names: {}, suggestions: [],
  onChange: () => {}, // the library page redraws
};

export const path = (rest = "") => `/v1/libraries/${state.library}${rest}`;

// minFace is the smallest face (pixels, shorter side of its box) for a
// person to be listed with the people; smaller ones are "background".
export function minFace() {
  const v = Number(localStorage.getItem("mien-min-face-" + state.library));
  return Number.isFinite(v) && localStorage.getItem("mien-min-face-" + state.library) !== null ? v : 40;
}
export function setMinFace(v) { localStorage.setItem("mien-min-face-" + state.library, String(v)); }

const side = (f) => Math.min(f.box.width, f.box.height);

// load fetches everything the pages show, at once.
export async function load() {
  if (!state.library) {
    Object.assign(lib, { people: [], byId: new Map(), faces: [], facesOf: new Map(), meta: new Map(), names: {}, suggestions: [] });
    return;
  }
  const [people, faces, meta, names, sug] = await Promise.all([
    api("GET", path("/people")), api("GET", path("/faces")), api("GET", path("/people-meta")),
    api("GET", path("/file-names")), api("GET", path("/suggestions"))]);
  lib.people = people.people;
  lib.byId = new Map(lib.people.map((p) => [p.id, p]));
  lib.faces = faces.faces;
  lib.facesOf = new Map();
  for (const f of lib.faces) if (f.person) (lib.facesOf.get(f.person) || lib.facesOf.set(f.person, []).get(f.person)).push(f);
  for (const list of lib.facesOf.values()) list.sort((a, b) => side(b) - side(a));
  lib.meta = new Map(meta.people.map((m) => [m.person, m]));
  lib.names = names.names;
  lib.suggestions = sug.suggestions.filter((s) => lib.byId.has(s.a) && lib.byId.has(s.b));
}

export const personName = (p) => p?.name || "Unnamed";
export const personLabel = (p) => (p.name ? p.name : "Unnamed person") + ` (${plural(p.faces, "face")})`;
export const hidden = (p) => !!lib.meta.get(p.id)?.hidden;
export const largest = (p) => Math.max(0, ...(lib.facesOf.get(p.id) || []).map(side));
// background: only small faces, and nothing the user did to the person.
export const background = (p) => !p.name && !p.confirmed && largest(p) < minFace();

// cover is the face shown for a person: the one chosen, else the largest.
export function cover(p) {
  const id = lib.meta.get(p.id)?.cover;
  const list = lib.facesOf.get(p.id) || [];
  return list.find((f) => f.id === id) || list[0];
}

export const thumb = (faceId, size = 96) => path(`/faces/${faceId}/thumbnail?size=${size}`);
export const fileName = (photo) => lib.names[photo]?.[0] || "photo " + photo.slice(0, 8);

// The curation steps answer what was done and an undo for it.
export async function merge(into, from) {
  const a = lib.byId.get(into), b = lib.byId.get(from);
  const moved = (await api("GET", path(`/people/${from}`))).faces.map((f) => f.id);
  await api("POST", path(`/people/${into}/merge`), { from: [from] });
  return {
    done: `Merged ${personLabel(b)} into ${personName(a)}.`,
    undo: async () => {
      const r = await api("POST", path(`/people/${into}/split`), { faces: moved });
      if (b.name) await api("POST", path(`/people/${r.person.id}/name`), { name: b.name });
      if (!a.name && b.name) await api("POST", path(`/people/${into}/name`), { name: "" });
      return `Merge undone: ${personName(b)} is a person of their own again.`;
    },
  };
}

export async function split(pid, faces) {
  const r = await api("POST", path(`/people/${pid}/split`), { faces });
  return {
    id: r.person.id,
    done: `Split ${plural(faces.length, "face")} off ${personName(lib.byId.get(pid))} into a new person.`,
    undo: async () => {
      await api("POST", path(`/people/${pid}/merge`), { from: [r.person.id] });
      return "Split undone: the faces are back.";
    },
  };
}

// move puts a face into another person (to 0: a person of its own).
export async function move(face, to) {
  const from = face.person;
  if (to) await api("POST", path(`/faces/${face.id}/move`), { person: to });
  else await api("POST", path(`/faces/${face.id}/not`));
  return {
    done: to ? `Face moved to ${personName(lib.byId.get(to))}.` : "Face taken out: it is a person of its own now.",
    undo: async () => {
      const back = (await api("GET", path("/people"))).people.some((p) => p.id === from);
      if (back) await api("POST", path(`/faces/${face.id}/move`), { person: from });
      else await api("POST", path(`/faces/${face.id}/not`));
      return "Undone: the face is back.";
    },
  };
}

export async function ignore(face) {
  await api("POST", path(`/faces/${face.id}/ignore`), { reason: "ignore" });
  return {
    done: "Face ignored: it stays out of every person.",
    undo: async () => {
      // Unignoring places the face by similarity; put it back where it was.
      const f = await api("POST", path(`/faces/${face.id}/unignore`));
      const back = face.person && (await api("GET", path("/people"))).people.some((p) => p.id === face.person);
      if (back && f.person !== face.person) await api("POST", path(`/faces/${face.id}/move`), { person: face.person });
      return "Undone: the face is back.";
    },
  };
}

export async function setHidden(p, on) {
  await api("PUT", path(`/people/${p.id}/hidden`), { hidden: on });
  return {
    done: on ? `${p.name || "This person"} is hidden (under "Hidden").` : `${p.name || "This person"} is shown again.`,
    undo: async () => { await api("PUT", path(`/people/${p.id}/hidden`), { hidden: !on }); return "Undone."; },
  };
}

export async function rename(p, name) {
  const old = p.name || "";
  await api("POST", path(`/people/${p.id}/name`), { name });
  return {
    done: name ? `Named ${name}.` : "Name removed.",
    undo: async () => { await api("POST", path(`/people/${p.id}/name`), { name: old }); return "Name restored."; },
  };
}
