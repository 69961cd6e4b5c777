// The front end's translated texts: one static catalog per language, fetched once and cached.
//
// portal_app/reflex_ext/ui_catalog.py writes this file into the front end at every compile
// (as .web/utils/portal_catalog.js), with CATALOG_URLS above this comment: for each shipped
// language but English, the content-hashed URL of its catalog (only the msgids the compiled
// pages use). A component's `_("Invoices")` compiles to `(portal_catalog["Invoices"] ??
// "Invoices")`, and `portal_catalog` comes from usePortalCatalog(lang), `lang` being the shell's
// state var.
//
// No flash of English on a switch: while a language's catalog loads, components keep the
// catalog they showed last and switch when it has arrived. The catalog a visitor probably
// needs (the language shown last in this browser, the language cookie, the browser's
// languages) is fetched as soon as this module loads, in parallel with the websocket's first
// state, so it is usually there when the state says which language applies.

import { useSyncExternalStore } from "react";

const EMPTY = Object.freeze({});
const REMEMBERED = "portal_ui_lang";
const loaded = {};
const pending = {};
const listeners = new Set();
let version = 0;
let shown = EMPTY;

function notify() {
  version += 1;
  for (const listener of listeners) listener();
}

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function getVersion() {
  return version;
}

// Fetch `lang`'s catalog once (a failed fetch is retried on the next render that needs it).
export function loadCatalog(lang) {
  const url = CATALOG_URLS[lang];
  if (!url || loaded[lang]) return Promise.resolve(loaded[lang]);
  if (!pending[lang]) {
    pending[lang] = fetch(url, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(`${url}: ${response.status}`);
        return response.json();
      })
      .then((catalog) => {
        loaded[lang] = catalog;
        notify();
        return catalog;
      })
      .catch((error) => {
        delete pending[lang];
        console.error("portal catalog", error);
      });
  }
  return pending[lang];
}

function remember(lang) {
  try {
    if (CATALOG_URLS[lang]) window.localStorage.setItem(REMEMBERED, lang);
    else window.localStorage.removeItem(REMEMBERED);
  } catch {
    // Storage refused (private mode): only the prefetch guess is lost.
  }
}

// The texts of `lang` for a component (a React hook): the msgid -> text map, empty for English.
export function usePortalCatalog(lang) {
  useSyncExternalStore(subscribe, getVersion, getVersion);
  if (typeof window === "undefined") return EMPTY;
  if (!CATALOG_URLS[lang]) {
    if (shown !== EMPTY) remember(lang);
    shown = EMPTY;
    return EMPTY;
  }
  const catalog = loaded[lang];
  if (catalog) {
    if (shown !== catalog) remember(lang);
    shown = catalog;
    return catalog;
  }
  loadCatalog(lang);
  return shown;
}

function guessLanguage() {
  try {
    const remembered = window.localStorage.getItem(REMEMBERED);
    if (CATALOG_URLS[remembered]) return remembered;
  } catch {
    // no storage: go on guessing
  }
  const cookie = document.cookie.match(/(?:^|;\s*)portal_lang=([^;]+)/);
  if (cookie && CATALOG_URLS[decodeURIComponent(cookie[1])]) {
    return decodeURIComponent(cookie[1]);
  }
  for (const tag of navigator.languages || []) {
    const [primary, region] = tag.split("-");
    const full = region ? `${primary}_${region.toUpperCase()}` : primary;
    if (primary === "en") return null;
    if (CATALOG_URLS[full]) return full;
    if (CATALOG_URLS[primary]) return primary;
  }
  return null;
}

if (typeof window !== "undefined") {
  const guess = guessLanguage();
  if (guess) loadCatalog(guess);
}
