// Every string the dashboard shows comes from en.json or ko.json; components call t(key).
import en from "./i18n/en.json";
import ko from "./i18n/ko.json";

export const catalogs = { en, ko };
const STORED = "mailpass.lang"; // a display preference, not a secret

function initial() {
  const saved = localStorage.getItem(STORED);
  if (saved && catalogs[saved]) return saved;
  for (const tag of navigator.languages || [navigator.language || "en"]) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (catalogs[base]) return base;
  }
  return "en";
}

// The app re-renders from the top when the language changes (App subscribes with onLang).
export const lang = { value: initial() };
document.documentElement.lang = lang.value;
let listener = () => {};
export const onLang = (fn) => (listener = fn);

export function setLang(code) {
  lang.value = code;
  localStorage.setItem(STORED, code);
  document.documentElement.lang = code;
  listener(code);
}

/** t("smtp.title") or t("smtp.fallback_rank", {n: 1}): {name} placeholders are filled from vars. */
export function t(key, vars) {
  const text = catalogs[lang.value][key] ?? catalogs.en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function fmtDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(lang.value === "ko" ? "ko-KR" : "en-US");
}

export function fmtPercent(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "—";
  return `${(x * 100).toFixed(2)} %`;
}
