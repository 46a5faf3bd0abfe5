import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import "./style.css";
import { api, session } from "./api.js";
import { t, lang, setLang, onLang, catalogs } from "./i18n.js";
import { ErrorBox, useAction, Field } from "./ui.jsx";
import { Overview } from "./pages/Overview.jsx";
import { Emails, MessagePage } from "./pages/Emails.jsx";
import { Smtp } from "./pages/Smtp.jsx";
import { Domains } from "./pages/Domains.jsx";
import { ApiKeys } from "./pages/ApiKeys.jsx";
import { Webhooks } from "./pages/Webhooks.jsx";
import { Suppressions } from "./pages/Suppressions.jsx";
import { Templates } from "./pages/Templates.jsx";

// A hash router: the page is in the fragment (never the key), so the static host needs no rewrites.
const PAGES = [
  ["overview", Overview],
  ["emails", Emails],
  ["smtp", Smtp],
  ["domains", Domains],
  ["api-keys", ApiKeys],
  ["webhooks", Webhooks],
  ["suppressions", Suppressions],
  ["templates", Templates],
];

function currentRoute() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { page: parts[0] || "overview", arg: parts[1] || null };
}

function SignIn({ onSignedIn }) {
  const [key, setKey] = useState("");
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      await api.account(key.trim());
      session.set(key.trim());
      onSignedIn();
    });
  };
  return (
    <main class="signin" id="main">
      <h1>{t("app.name")}</h1>
      <form onSubmit={submit} class="card">
        <h2>{t("signin.title")}</h2>
        <p class="muted">{t("signin.help")}</p>
        <Field id="api-key" label={t("signin.key")}>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            required
          />
        </Field>
        {action.error && (
          <ErrorBox
            error={
              action.error.status === 401 || action.error.status === 403
                ? { ...action.error, message: t("signin.rejected") }
                : action.error
            }
          />
        )}
        <button type="submit" class="primary" disabled={action.busy || !key.trim()}>
          {t("signin.submit")}
        </button>
      </form>
      <LangSwitch />
    </main>
  );
}

function LangSwitch() {
  return (
    <div class="lang">
      <label for="lang-select">{t("nav.language")}</label>
      <select id="lang-select" value={lang.value} onChange={(e) => setLang(e.currentTarget.value)}>
        {Object.keys(catalogs).map((code) => (
          <option value={code}>{catalogs[code]["lang.name"]}</option>
        ))}
      </select>
    </div>
  );
}

function App() {
  const [, setLangState] = useState(lang.value);
  const [signedIn, setSignedIn] = useState(Boolean(session.get()));
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    onLang(setLangState);
    const onHash = () => setRoute(currentRoute());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    document.title = `${t(`nav.${route.page}`)} · ${t("app.name")}`;
  });
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const signOut = () => {
    session.clear();
    location.hash = "";
    setSignedIn(false);
  };
  const found = PAGES.find(([name]) => name === route.page);
  let body;
  if (route.page === "emails" && route.arg) body = <MessagePage id={route.arg} />;
  else if (found) {
    const Page = found[1];
    body = <Page arg={route.arg} />;
  } else body = <p>{t("error.no_page")}</p>;
  return (
    <div class="layout">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById("main").focus())}>
        {t("nav.skip")}
      </a>
      <header>
        <span class="brand">{t("app.name")}</span>
        <nav aria-label={t("nav.label")}>
          <ul>
            {PAGES.map(([name]) => (
              <li>
                <a href={`#/${name}`} aria-current={route.page === name ? "page" : undefined}>
                  {t(`nav.${name}`)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LangSwitch />
        <button type="button" class="small" onClick={signOut}>
          {t("nav.signout")}
        </button>
      </header>
      <main id="main" tabindex={-1}>
        {body}
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app"));
