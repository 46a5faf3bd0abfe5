// Emails: the message log with the API's filters and cursor paging, and a message's own page.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, StatusBadge, ConfirmButton } from "../ui.jsx";

const STATUSES = ["", "queued", "scheduled", "sending", "sent", "delivered", "failed", "bounced", "complained", "canceled"];

function toIso(local) {
  return local ? new Date(local).toISOString() : "";
}

export function Emails() {
  const [draft, setDraft] = useState({ status: "", to: "", tag: "", from: "", until: "" });
  const [query, setQuery] = useState({});
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen, for "previous"
  const cursor = cursors[cursors.length - 1];
  const state = useLoad(() => api.messages({ ...query, cursor, limit: 20 }), [query, cursor]);
  const set = (k) => (e) => setDraft({ ...draft, [k]: e.currentTarget.value });
  const apply = (e) => {
    e.preventDefault();
    setQuery({ status: draft.status, to: draft.to.trim(), tag: draft.tag.trim(), from: toIso(draft.from), until: toIso(draft.until) });
    setCursors([null]);
  };
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.emails")}</h1>
      <form class="card filters" onSubmit={apply} role="search" aria-label={t("emails.filters")}>
        <Field id="f-status" label={t("emails.status")}>
          <select id="f-status" value={draft.status} onChange={set("status")}>
            {STATUSES.map((s) => (
              <option value={s}>{s ? t(`status.${s}`) : t("emails.any_status")}</option>
            ))}
          </select>
        </Field>
        <Field id="f-to" label={t("emails.recipient")}>
          <input id="f-to" type="email" value={draft.to} onInput={set("to")} />
        </Field>
        <Field id="f-tag" label={t("emails.tag")}>
          <input id="f-tag" value={draft.tag} onInput={set("tag")} />
        </Field>
        <Field id="f-from" label={t("emails.from_date")}>
          <input id="f-from" type="datetime-local" value={draft.from} onInput={set("from")} />
        </Field>
        <Field id="f-until" label={t("emails.until_date")}>
          <input id="f-until" type="datetime-local" value={draft.until} onInput={set("until")} />
        </Field>
        <button type="submit" class="primary">
          {t("emails.apply")}
        </button>
      </form>
      <Async state={state} isEmpty={(d) => d.messages.length === 0} empty={t("emails.empty")}>
        {(page) => (
          <div>
            <table class="list" data-testid="messages">
              <thead>
                <tr>
                  <th scope="col">{t("emails.created")}</th>
                  <th scope="col">{t("emails.recipient")}</th>
                  <th scope="col">{t("emails.subject")}</th>
                  <th scope="col">{t("emails.status")}</th>
                  <th scope="col">{t("emails.tags")}</th>
                </tr>
              </thead>
              <tbody>
                {page.messages.map((m) => (
                  <tr data-message-id={m.message_id}>
                    <td>{fmtDate(m.created_at)}</td>
                    <td>{m.to_email}</td>
                    <td>
                      <a href={`#/emails/${encodeURIComponent(m.message_id)}`}>{m.subject || t("emails.no_subject")}</a>
                    </td>
                    <td>
                      <StatusBadge value={m.status} />
                    </td>
                    <td>{(m.tags || []).join(", ")}</td>
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

function Facts({ m }) {
  const rows = [
    ["message_id", m.message_id],
    ["status", <StatusBadge value={m.status} />],
    ["from", m.from_name ? `${m.from_name} <${m.from_email}>` : m.from_email],
    ["to", m.to_email],
    ["cc", (m.cc || []).join(", ")],
    ["bcc", (m.bcc || []).join(", ")],
    ["reply_to", m.reply_to],
    ["subject", m.subject],
    ["provider", m.provider_id],
    ["provider_message_id", m.provider_message_id],
    ["template", m.template_id],
    ["note", m.note],
    ["error", m.error_message],
    ["tags", (m.tags || []).join(", ")],
    ["test", m.test ? t("common.yes") : t("common.no")],
    ["created", fmtDate(m.created_at)],
    ["scheduled", m.scheduled_at ? fmtDate(m.scheduled_at) : null],
    ["sent", m.sent_at ? fmtDate(m.sent_at) : null],
    ["updated", fmtDate(m.updated_at)],
  ];
  return (
    <dl class="facts">
      {rows
        .filter(([, v]) => v !== null && v !== undefined && v !== "")
        .map(([k, v]) => [<dt>{t(`message.${k}`)}</dt>, <dd data-field={k}>{v}</dd>])}
    </dl>
  );
}

function Timeline({ events }) {
  if (!events.length) return <p class="empty">{t("message.no_events")}</p>;
  return (
    <ol class="timeline" data-testid="events">
      {events.map((e) => (
        <li data-event={e.event_type}>
          <strong>{t(`event.${e.event_type}`)}</strong> <span class="muted">{fmtDate(e.created_at)}</span>
          <dl class="facts small">
            {e.ip_address && [<dt>{t("event.ip")}</dt>, <dd>{e.ip_address}</dd>]}
            {e.user_agent && [<dt>{t("event.user_agent")}</dt>, <dd>{e.user_agent}</dd>]}
            {e.machine !== null && e.machine !== undefined && [
              <dt>{t("event.machine")}</dt>,
              <dd data-testid="machine">{e.machine ? t("event.machine_yes") : t("event.machine_no")}</dd>,
            ]}
            {e.url && [<dt>{t("event.url")}</dt>, <dd>{e.url}</dd>]}
            {e.bounce_type && [<dt>{t("event.bounce_type")}</dt>, <dd>{e.bounce_type}</dd>]}
            {e.reason && [<dt>{t("event.reason")}</dt>, <dd>{e.reason}</dd>]}
          </dl>
        </li>
      ))}
    </ol>
  );
}

export function MessagePage({ id }) {
  const state = useLoad(() => api.message(id), [id]);
  const action = useAction();
  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="#/emails">{t("message.back")}</a>
      </p>
      <h1 id="page-title">{t("message.title")}</h1>
      <Async state={state}>
        {(d) => (
          <div>
            <div class="card">
              <Facts m={d.message} />
              {d.message.status === "scheduled" && (
                <ConfirmButton
                  label={t("message.cancel")}
                  question={t("message.cancel_confirm")}
                  testid="cancel-message"
                  onConfirm={() => action.run(async () => (await api.cancel(id), state.reload()))}
                />
              )}
              <ErrorBox error={action.error} />
            </div>
            <div class="card">
              <h2>{t("message.metadata")}</h2>
              {Object.keys(d.message.metadata || {}).length ? (
                <dl class="facts">
                  {Object.entries(d.message.metadata).map(([k, v]) => [<dt>{k}</dt>, <dd>{typeof v === "string" ? v : JSON.stringify(v)}</dd>])}
                </dl>
              ) : (
                <p class="empty">{t("message.no_metadata")}</p>
              )}
            </div>
            {d.engagement && (
              <div class="card">
                <h2>{t("message.engagement")}</h2>
                <p>
                  {t("message.engagement_text", {
                    opens: d.engagement.opens,
                    machine_opens: d.engagement.machine_opens,
                    clicks: d.engagement.clicks,
                    machine_clicks: d.engagement.machine_clicks,
                  })}
                </p>
              </div>
            )}
            <div class="card">
              <h2>{t("message.events")}</h2>
              <Timeline events={d.events || []} />
            </div>
          </div>
        )}
      </Async>
    </section>
  );
}
