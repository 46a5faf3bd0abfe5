// Suppressions: list, add by hand, remove.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, ConfirmButton } from "../ui.jsx";

function RemoveButton({ s, onDone }) {
  const action = useAction();
  return (
    <span>
      <ConfirmButton
        label={t("common.remove")}
        question={t("supp.remove_confirm", { email: s.email })}
        onConfirm={() => action.run(async () => (await api.removeSuppression(s.email), onDone()))}
      />
      <ErrorBox error={action.error} />
    </span>
  );
}

export function Suppressions() {
  const state = useLoad(() => api.suppressions());
  const [email, setEmail] = useState("");
  const [reason, setReason] = useState("");
  const action = useAction();
  const add = (e) => {
    e.preventDefault();
    action.run(async () => {
      await api.addSuppression(reason.trim() ? { email: email.trim(), reason: reason.trim() } : { email: email.trim() });
      setEmail("");
      setReason("");
      state.reload();
    });
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.suppressions")}</h1>
      <p class="muted">{t("supp.intro")}</p>
      <form class="card inline" onSubmit={add}>
        <Field id="supp-email" label={t("supp.email")}>
          <input id="supp-email" type="email" value={email} onInput={(e) => setEmail(e.currentTarget.value)} required />
        </Field>
        <Field id="supp-reason" label={t("supp.reason")}>
          <input id="supp-reason" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
        </Field>
        <button type="submit" class="primary" disabled={action.busy}>
          {t("supp.add")}
        </button>
        <ErrorBox error={action.error} />
      </form>
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("supp.empty")}>
        {(list) => (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">{t("supp.email")}</th>
                <th scope="col">{t("supp.reason")}</th>
                <th scope="col">{t("supp.message")}</th>
                <th scope="col">{t("supp.since")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr>
                  <td>{s.email}</td>
                  <td>{s.reason || "—"}</td>
                  <td>{s.message_id ? <a href={`#/emails/${encodeURIComponent(s.message_id)}`}>{s.message_id}</a> : "—"}</td>
                  <td>{fmtDate(s.created_at)}</td>
                  <td>
                    <RemoveButton s={s} onDone={state.reload} />
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
