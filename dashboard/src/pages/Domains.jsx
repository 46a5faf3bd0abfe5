// Domains: DNS records to publish (copy buttons, per-record status), Verify now, bounce rate.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate, fmtPercent } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, CopyButton, ConfirmButton, StatusBadge } from "../ui.jsx";

function DomainCard({ d, onChanged }) {
  const action = useAction();
  const [current, setCurrent] = useState(d);
  const verify = () => action.run(async () => setCurrent(await api.verifyDomain(d.domain_id)));
  const fb = current.feedback || {};
  return (
    <li class="card" data-testid="domain" data-domain={current.name}>
      <h2>
        {current.name} <StatusBadge value={current.status} />
      </h2>
      <dl class="facts">
        <dt>{t("domains.bounce_rate")}</dt>
        <dd>{fmtPercent(fb.bounce_rate)}</dd>
        <dt>{t("domains.feedback")}</dt>
        <dd>{t("domains.feedback_text", { delivered: fb.delivered ?? 0, bounced: fb.bounced ?? 0, complained: fb.complained ?? 0 })}</dd>
        <dt>{t("domains.last_checked")}</dt>
        <dd>{fmtDate(current.last_checked_at)}</dd>
        {current.failure_reason && [<dt>{t("domains.failure")}</dt>, <dd>{current.failure_reason}</dd>]}
      </dl>
      <table class="list records">
        <caption>{t("domains.records")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("domains.type")}</th>
            <th scope="col">{t("domains.name")}</th>
            <th scope="col">{t("domains.value")}</th>
            <th scope="col">{t("domains.purpose")}</th>
            <th scope="col">{t("domains.status")}</th>
          </tr>
        </thead>
        <tbody>
          {current.records.map((r) => (
            <tr>
              <td>{r.type}</td>
              <td>
                <code>{r.name}</code> <CopyButton text={r.name} label={t("domains.copy_name", { name: r.name })} />
              </td>
              <td class="value">
                <code>{r.value}</code> <CopyButton text={r.value} label={t("domains.copy_value", { name: r.name })} />
              </td>
              <td>
                {r.purpose}
                {r.required ? "" : ` (${t("domains.optional")})`}
              </td>
              <td>
                <StatusBadge value={r.status} />
                {r.reason && <div class="muted">{r.reason}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="actions">
        <button type="button" onClick={verify} disabled={action.busy}>
          {action.busy ? t("domains.verifying") : t("domains.verify")}
        </button>
        <ConfirmButton
          label={t("common.delete")}
          question={t("domains.delete_confirm", { name: current.name })}
          onConfirm={() => action.run(async () => (await api.deleteDomain(d.domain_id), onChanged()))}
        />
      </div>
      <ErrorBox error={action.error} />
    </li>
  );
}

export function Domains() {
  const state = useLoad(() => api.domains());
  const [name, setName] = useState("");
  const action = useAction();
  const add = (e) => {
    e.preventDefault();
    action.run(async () => {
      await api.createDomain(name.trim());
      setName("");
      state.reload();
    });
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.domains")}</h1>
      <p class="muted">{t("domains.intro")}</p>
      <form class="card inline" onSubmit={add}>
        <Field id="domain-name" label={t("domains.add_label")}>
          <input id="domain-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </Field>
        <button type="submit" class="primary" disabled={action.busy}>
          {t("domains.add")}
        </button>
        <ErrorBox error={action.error} />
      </form>
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("domains.empty")}>
        {(domains) => (
          <ul class="plain">
            {domains.map((d) => (
              <DomainCard key={d.domain_id} d={d} onChanged={state.reload} />
            ))}
          </ul>
        )}
      </Async>
    </section>
  );
}
