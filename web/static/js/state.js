// What the sections share: the collection in use and its people, and the
// photo library in use.
import { api } from "./api.js";

export const state = {
  collection: sessionStorage.getItem("mien-collection") || "",
  collections: [],
  subjects: [],
  library: sessionStorage.getItem("mien-library") || "",
};

export function useCollection(id) {
  state.collection = id || "";
  sessionStorage.setItem("mien-collection", state.collection);
}

export function useLibrary(id) {
  state.library = id || "";
  sessionStorage.setItem("mien-library", state.library);
}

// loadCollections refreshes the collections and the people of the one in use.
export async function loadCollections() {
  state.collections = (await api("GET", "/v1/collections")).collections;
  if (!state.collections.some((c) => c.id === state.collection)) useCollection(state.collections[0]?.id);
  await loadSubjects();
}

export async function loadSubjects() {
  state.subjects = state.collection ? (await api("GET", `/v1/collections/${state.collection}/subjects`)).subjects : [];
}

export const subjectName = (s) => s.name || s.external_id;

// fillCollections puts the collections into a <select>.
export function fillCollections(sel) {
  sel.replaceChildren(...state.collections.map((c) => new Option(c.name, c.id, false, c.id === state.collection)));
}
