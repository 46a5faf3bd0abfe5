// Webhooks: endpoints and their event types, delivery log, test event, secret rotation, re-enable.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, CopyButton, ConfirmButton } from "../ui.jsx";

export const EVENT_TYPES = ["delivery", "bounce", "complaint", "reject", "delivery_delay", "open", "click"];

function Secret({ secret, onDone }) {
  return (
    <div class="card notice" role="status" data-testid="webhook-secret">
      <p>{t("hooks.secret_once")}</p>
      <p>
        <code>{secret}</code> <CopyButton text={secret} />
      </p>
      <button type="button" onClick={onDone}>
        {t("common.done")}
      </button>
    </div>
  );
}

function Deliveries({ id, version }) {
  const state = useLoad(() => api.webhookDeliveries(id), [id, version]);
  return (
    <div>
      <div class="page-head">
        <h3>{t("hooks.deliveries")}</h3>
        <button type="button" class="small" onClick={state.reload}>
          {t("common.refresh")}
        </button>
      </div>
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("hooks.no_deliveries")}>
        {(list) => (
          <table class="list" data-testid="deliveries">
            <thead>
              <tr>
                <th scope="col">{t("hooks.when")}</th>
                <th scope="col">{t("hooks.event")}</th>
                <th scope="col">{t("hooks.attempt")}</th>
                <th scope="col">{t("hooks.result")}</th>
                <th scope="col">{t("hooks.duration")}</th>
                <th scope="col">{t("hooks.next_retry")}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr data-event-type={d.event_type}>
                  <td>{fmtDate(d.created_at || d.attempted_at)}</td>
                  <td>
                    {d.event_type} <span class="muted">{d.event_id}</span>
                  </td>
                  <td>{d.attempt}</td>
                  <td>{d.status_code ? d.status_code : d.error || "—"}</td>
                  <td>{d.duration_ms === undefined || d.duration_ms === null ? "—" : t("smtp.test.ms", { ms: Math.round(d.duration_ms) })}</td>
                  <td>{fmtDate(d.next_retry_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </div>
  );
}

function WebhookCard({ w, onChanged }) {
  const action = useAction();
  const [secret, setSecret] = useState(null);
  const [sent, setSent] = useState(0);
  const disabled = w.enabled === false;
  return (
    <li class="card" data-testid="webhook" data-url={w.url}>
      <h2>
        <code>{w.url}</code> {disabled && <span class="badge s-failed">{t("hooks.disabled")}</span>}
      </h2>
      <p>
        {t("hooks.events")}: {w.event_types.map((e) => t(`event.${e}`)).join(", ")}
      </p>
      {disabled && w.disabled_reason && <p class="muted">{t("hooks.disabled_reason", { reason: w.disabled_reason })}</p>}
      <div class="actions">
        <button type="button" onClick={() => action.run(async () => (await api.testWebhook(w.webhook_id), setSent(sent + 1)))}>
          {t("hooks.send_test")}
        </button>
        <button type="button" onClick={() => action.run(async () => setSecret((await api.rotateWebhookSecret(w.webhook_id)).secret))}>
          {t("hooks.rotate")}
        </button>
        {disabled && (
          <button type="button" onClick={() => action.run(async () => (await api.enableWebhook(w.webhook_id), onChanged()))}>
            {t("hooks.enable")}
          </button>
        )}
        <ConfirmButton
          label={t("common.delete")}
          question={t("hooks.delete_confirm", { url: w.url })}
          onConfirm={() => action.run(async () => (await api.deleteWebhook(w.webhook_id), onChanged()))}
        />
      </div>
      {sent > 0 && <p role="status">{t("hooks.test_queued")}</p>}
      <ErrorBox error={action.error} />
      {secret && <Secret secret={secret} onDone={() => setSecret(null)} />}
      <Deliveries id={w.webhook_id} version={sent} />
    </li>
  );
}

export function Webhooks() {
  const state = useLoad(() => api.webhooks());
  const [url, setUrl] = useState("");
  const [types, setTypes] = useState(["delivery", "bounce", "complaint"]);
  const [secret, setSecret] = useState(null);
  const action = useAction();
  const toggle = (e) => setTypes(types.includes(e) ? types.filter((x) => x !== e) : [...types, e]);
  const add = (ev) => {
    ev.preventDefault();
    action.run(async () => {
      const created = await api.createWebhook({ url: url.trim(), event_types: types });
      setSecret(created.secret);
      setUrl("");
      state.reload();
    });
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.webhooks")}</h1>
      <form class="card" onSubmit={add} aria-label={t("hooks.add")}>
        <h2>{t("hooks.add")}</h2>
        <Field id="hook-url" label={t("hooks.url")}>
          <input id="hook-url" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} required />
        </Field>
        <fieldset>
          <legend>{t("hooks.events")}</legend>
          {EVENT_TYPES.map((e) => (
            <label class="chip">
              <input type="checkbox" checked={types.includes(e)} onChange={() => toggle(e)} /> {t(`event.${e}`)}
            </label>
          ))}
        </fieldset>
        <ErrorBox error={action.error} />
        <button type="submit" class="primary" disabled={action.busy || types.length === 0}>
          {t("hooks.add")}
        </button>
      </form>
      {secret && <Secret secret={secret} onDone={() => setSecret(null)} />}
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("hooks.empty")}>
        {(list) => (
          <ul class="plain">
            {list.map((w) => (
              <WebhookCard key={w.webhook_id} w={w} onChanged={state.reload} />
            ))}
          </ul>
        )}
      </Async>
    </section>
  );
}
