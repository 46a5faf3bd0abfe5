// API keys: create (the key shown once, with a copy button), list, revoke.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, CopyButton, ConfirmButton } from "../ui.jsx";

const PERMISSIONS = ["mail", "settings"];

export function ApiKeys() {
  const state = useLoad(() => api.apiKeys());
  const [name, setName] = useState("");
  const [perms, setPerms] = useState(["mail"]);
  const [test, setTest] = useState(false);
  const [created, setCreated] = useState(null);
  const action = useAction();
  const toggle = (p) => setPerms(perms.includes(p) ? perms.filter((x) => x !== p) : [...perms, p]);
  const create = (e) => {
    e.preventDefault();
    action.run(async () => {
      setCreated(await api.createApiKey({ name: name.trim(), permissions: perms, test }));
      setName("");
      state.reload();
    });
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.api-keys")}</h1>
      <form class="card" onSubmit={create} aria-label={t("keys.create")}>
        <h2>{t("keys.create")}</h2>
        <Field id="key-name" label={t("keys.name")}>
          <input id="key-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={100} />
        </Field>
        <fieldset>
          <legend>{t("keys.permissions")}</legend>
          {PERMISSIONS.map((p) => (
            <label class="chip">
              <input type="checkbox" checked={perms.includes(p)} onChange={() => toggle(p)} /> {t(`perm.${p}`)}
            </label>
          ))}
          <label class="chip">
            <input type="checkbox" checked={test} onChange={() => setTest(!test)} /> {t("keys.test")}
          </label>
        </fieldset>
        <ErrorBox error={action.error} />
        <button type="submit" class="primary" disabled={action.busy || perms.length === 0}>
          {t("keys.create")}
        </button>
      </form>
      {created && (
        <div class="card notice" role="status" data-testid="new-key">
          <h2>{t("keys.created")}</h2>
          <p>{t("keys.shown_once")}</p>
          <p>
            <code data-testid="new-key-value">{created.key}</code> <CopyButton text={created.key} />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            {t("common.done")}
          </button>
        </div>
      )}
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("keys.empty")}>
        {(keys) => (
          <table class="list" data-testid="keys">
            <thead>
              <tr>
                <th scope="col">{t("keys.name")}</th>
                <th scope="col">{t("keys.key")}</th>
                <th scope="col">{t("keys.permissions")}</th>
                <th scope="col">{t("keys.created_at")}</th>
                <th scope="col">{t("keys.last_used")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr data-key-id={k.key_id}>
                  <td>{k.name || "—"}</td>
                  <td>
                    <code>{k.prefix ? `${k.prefix}…${k.last4 || k.last_four || ""}` : k.key_id}</code>
                    {k.test && <span class="badge">{t("keys.test")}</span>}
                  </td>
                  <td>{(k.permissions || []).map((p) => t(`perm.${p}`)).join(", ")}</td>
                  <td>{fmtDate(k.created_at)}</td>
                  <td>{fmtDate(k.last_used_at)}</td>
                  <td>
                    <RevokeButton k={k} onDone={state.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </section>
  );
}

function RevokeButton({ k, onDone }) {
  const action = useAction();
  return (
    <span>
      <ConfirmButton
        label={t("keys.revoke")}
        question={t("keys.revoke_confirm", { name: k.name || k.key_id })}
        onConfirm={() => action.run(async () => (await api.revokeApiKey(k.key_id), onDone()))}
      />
      <ErrorBox error={action.error} />
    </span>
  );
}
