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

const KINDS = ["", "bounce", "complaint", "manual"];

export function Suppressions() {
  const [kind, setKind] = useState("");
  const [cursors, setCursors] = useState([null]); // each page's cursor, for "previous"
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(() => api.suppressions({ reason: kind, cursor, limit: 20 }), [kind, cursor]);
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
      <div class="field narrow">
        <label for="supp-kind">{t("supp.kind")}</label>
        <select
          id="supp-kind"
          value={kind}
          onChange={(e) => {
            setKind(e.currentTarget.value);
            setCursors([null]);
          }}
        >
          {KINDS.map((k) => (
            <option value={k}>{k ? t(`supp.kind.${k}`) : t("supp.any_kind")}</option>
          ))}
        </select>
      </div>
      <Async state={state} isEmpty={(d) => d.suppressions.length === 0} empty={t("supp.empty")}>
        {(page) => (
          <div>
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
              {page.suppressions.map((s) => (
                <tr>
                  <td>{s.email}</td>
                  <td>
                    {s.kind ? `${t(`supp.kind.${s.kind}`)}: ` : ""}
                    {s.reason || "—"}
                  </td>
                  <td>{s.message_id ? <a href={`#/emails/${encodeURIComponent(s.message_id)}`}>{s.message_id}</a> : "—"}</td>
                  <td>{fmtDate(s.created_at)}</td>
                  <td>
                    <RemoveButton s={s} onDone={state.reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="actions pager">
            <button type="button" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              {t("common.previous")}
            </button>
            <button type="button" disabled={!page.next_cursor} onClick={() => setCursors([...cursors, page.next_cursor])}>
              {t("common.next")}
            </button>
          </div>
          </div>
        )}
      </Async>
    </section>
  );
}
