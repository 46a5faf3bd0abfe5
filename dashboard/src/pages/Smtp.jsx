// SMTP settings: the page the product page names. Providers, presets, test, default, fallbacks.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, ConfirmButton, Field } from "../ui.jsx";

const KINDS = ["smtp", "ses", "sendgrid", "mailgun", "mailpass"];

// Which fields each preset asks for; the API fills in host, port and login for the others.
const PRESET_FIELDS = {
  smtp: ["host", "port", "security", "username", "password"],
  ses: ["region", "configuration_set"],
  sendgrid: ["password"],
  mailgun: ["region", "username", "password"],
  mailpass: ["password"],
};

function usageText(p, which) {
  const used = p.usage ? p.usage[which] : null;
  const limit = which === "hour" ? p.hourly_limit : p.daily_limit;
  const u = used === null || used === undefined ? "—" : used;
  return limit === null || limit === undefined ? `${u} / ${t("smtp.unlimited")}` : `${u} / ${limit}`;
}

function numberOrNull(v) {
  return v === "" || v === undefined || v === null ? null : Number(v);
}

function ProviderForm({ existing, onDone, onCancel }) {
  const [kind, setKind] = useState(existing ? existing.kind : "smtp");
  const [f, setF] = useState(() =>
    existing
      ? {
          name: existing.name || "",
          host: existing.host || "",
          port: existing.port ?? "",
          security: existing.security || "starttls",
          username: existing.username || "",
          region: existing.region || "",
          configuration_set: existing.configuration_set || "",
          from_email: existing.from_email || "",
          from_name: existing.from_name || "",
          hourly_limit: existing.hourly_limit ?? "",
          daily_limit: existing.daily_limit ?? "",
          password: "",
        }
      : { security: "starttls", port: 587 },
  );
  const action = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const fields = PRESET_FIELDS[kind];
  const id = (k) => `provider-${k}`;

  const submit = (e) => {
    e.preventDefault();
    const body = {
      name: f.name,
      from_email: f.from_email || null,
      from_name: f.from_name || null,
      hourly_limit: numberOrNull(f.hourly_limit),
      daily_limit: numberOrNull(f.daily_limit),
    };
    for (const k of fields) {
      if (k === "password") {
        if (f.password) body.password = f.password; // write-only: sent when typed, never shown
      } else if (k === "port") body.port = numberOrNull(f.port);
      else body[k] = f[k] || null;
    }
    if (!existing) body.kind = kind;
    action.run(async () => {
      const saved = existing
        ? await api.updateProvider(existing.provider_id, body)
        : await api.createProvider(body);
      onDone(saved);
    });
  };

  const text = (k, type = "text", extra = {}) => (
    <Field id={id(k)} label={t(`smtp.field.${k}`)} hint={extra.hint}>
      <input id={id(k)} type={type} value={f[k] ?? ""} onInput={set(k)} {...extra.attrs} />
    </Field>
  );

  return (
    <form class="card" onSubmit={submit} aria-label={existing ? t("smtp.edit") : t("smtp.add")}>
      <h2>{existing ? t("smtp.edit_title", { name: existing.name }) : t("smtp.add")}</h2>
      {!existing && (
        <fieldset class="presets">
          <legend>{t("smtp.preset")}</legend>
          {KINDS.map((k) => (
            <label class="chip">
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />
              {t(`kind.${k}`)}
            </label>
          ))}
          <p class="muted">{t(`smtp.preset_help.${kind}`)}</p>
        </fieldset>
      )}
      <div class="grid">
        {text("name", "text", { attrs: { required: true, maxLength: 100 } })}
        {text("from_email", "email")}
        {text("from_name")}
        {fields.includes("host") && text("host", "text", { attrs: { required: true } })}
        {fields.includes("port") && text("port", "number", { attrs: { min: 1, max: 65535, required: true } })}
        {fields.includes("security") && (
          <Field id={id("security")} label={t("smtp.field.security")}>
            <select id={id("security")} value={f.security} onChange={set("security")}>
              {["starttls", "tls", "none"].map((s) => (
                <option value={s}>{t(`security.${s}`)}</option>
              ))}
            </select>
          </Field>
        )}
        {fields.includes("region") &&
          text("region", "text", { hint: kind === "mailgun" ? t("smtp.hint.mailgun_region") : t("smtp.hint.ses_region") })}
        {fields.includes("configuration_set") && text("configuration_set")}
        {fields.includes("username") && text("username", "text", { attrs: { autocomplete: "off" } })}
        {fields.includes("password") && (
          <Field
            id={id("password")}
            label={t(kind === "smtp" ? "smtp.field.password" : "smtp.field.credential")}
            hint={existing && existing.password ? t("smtp.hint.password_keep") : t("smtp.hint.password_write_only")}
          >
            <input
              id={id("password")}
              type="password"
              autocomplete="new-password"
              value={f.password}
              onInput={set("password")}
              required={!existing && kind !== "smtp"}
            />
          </Field>
        )}
        {text("hourly_limit", "number", { attrs: { min: 0 } })}
        {text("daily_limit", "number", { attrs: { min: 0 } })}
      </div>
      <ErrorBox error={action.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {t("common.save")}
        </button>
        <button type="button" onClick={onCancel}>
          {t("common.cancel")}
        </button>
      </div>
    </form>
  );
}

function TestReport({ report }) {
  return (
    <div class={`card test-report ${report.ok ? "ok" : "failed"}`} role="status" data-testid="test-report">
      <h3>{report.ok ? t("smtp.test.ok") : t("smtp.test.failed", { step: t(`step.${report.failed_step}`) })}</h3>
      <ol class="steps">
        {report.steps.map((s) => (
          <li class={s.ok ? "ok" : "failed"} data-step={s.step} data-ok={String(s.ok)}>
            <span class="mark" aria-hidden="true">{s.ok ? "✓" : "✗"}</span>
            <strong>{t(`step.${s.step}`)}</strong>
            <span class="muted">{s.ms === null || s.ms === undefined ? "" : t("smtp.test.ms", { ms: Math.round(s.ms) })}</span>
            <span class="visually-hidden">{s.ok ? t("smtp.test.step_ok") : t("smtp.test.step_failed")}</span>
            {s.detail && <div class="detail">{s.detail}</div>}
          </li>
        ))}
      </ol>
    </div>
  );
}

function ProviderRow({ p, list, onChanged, onEdit }) {
  const action = useAction();
  const [report, setReport] = useState(null);
  const fallbacks = list.fallback_provider_ids;
  const rank = fallbacks.indexOf(p.provider_id);
  const move = (ids) => action.run(async () => onChanged(await api.setFallbacks(ids)));
  const swap = (i, j) => {
    const ids = [...fallbacks];
    [ids[i], ids[j]] = [ids[j], ids[i]];
    move(ids);
  };
  return (
    <li class="card provider" data-testid="provider" data-provider-id={p.provider_id}>
      <div class="row">
        <div>
          <h3>
            {p.name} {p.is_default && <span class="badge default">{t("smtp.default")}</span>}
            {rank >= 0 && <span class="badge">{t("smtp.fallback_rank", { n: rank + 1 })}</span>}
          </h3>
          <dl class="facts">
            <dt>{t("smtp.field.kind")}</dt>
            <dd>{t(`kind.${p.kind}`)}</dd>
            <dt>{t("smtp.sender")}</dt>
            <dd>{p.from_email ? (p.from_name ? `${p.from_name} <${p.from_email}>` : p.from_email) : "—"}</dd>
            <dt>{t("smtp.server")}</dt>
            <dd>{p.host ? `${p.host}:${p.port} (${t(`security.${p.security}`)})` : p.region || "—"}</dd>
            <dt>{t("smtp.field.username")}</dt>
            <dd>{p.username || "—"}</dd>
            <dt>{t("smtp.field.password")}</dt>
            <dd data-testid="password">{p.password || t("smtp.no_password")}</dd>
            <dt>{t("smtp.usage_hour")}</dt>
            <dd>{usageText(p, "hour")}</dd>
            <dt>{t("smtp.usage_day")}</dt>
            <dd>{usageText(p, "day")}</dd>
            <dt>{t("common.updated")}</dt>
            <dd>{fmtDate(p.updated_at || p.created_at)}</dd>
          </dl>
        </div>
      </div>
      <div class="actions">
        <button type="button" disabled={action.busy} onClick={() => action.run(async () => setReport(await api.testProvider(p.provider_id)))}>
          {action.busy ? t("smtp.testing") : t("smtp.test_connection")}
        </button>
        {!p.is_default && (
          <button type="button" onClick={() => action.run(async () => onChanged(await api.makeDefault(p.provider_id)))}>
            {t("smtp.make_default")}
          </button>
        )}
        {!p.is_default && rank < 0 && (
          <button type="button" onClick={() => move([...fallbacks, p.provider_id])}>
            {t("smtp.add_fallback")}
          </button>
        )}
        {rank > 0 && (
          <button type="button" onClick={() => swap(rank, rank - 1)} aria-label={t("smtp.move_up_named", { name: p.name })}>
            {t("smtp.move_up")}
          </button>
        )}
        {rank >= 0 && rank < fallbacks.length - 1 && (
          <button type="button" onClick={() => swap(rank, rank + 1)} aria-label={t("smtp.move_down_named", { name: p.name })}>
            {t("smtp.move_down")}
          </button>
        )}
        {rank >= 0 && (
          <button type="button" onClick={() => move(fallbacks.filter((x) => x !== p.provider_id))}>
            {t("smtp.remove_fallback")}
          </button>
        )}
        <button type="button" onClick={() => onEdit(p)}>
          {t("common.edit")}
        </button>
        <ConfirmButton
          label={t("common.delete")}
          question={t("smtp.delete_confirm", { name: p.name })}
          onConfirm={() => action.run(async () => (await api.deleteProvider(p.provider_id), onChanged(null)))}
        />
      </div>
      <ErrorBox error={action.error} />
      {report && <TestReport report={report} />}
    </li>
  );
}

export function Smtp() {
  const state = useLoad(() => api.providers());
  const [editing, setEditing] = useState(null); // null, "new", or a provider
  // Calls that return the whole list (default, fallbacks) replace it; the others reload it.
  const changed = (data) => (data && data.providers ? state.setData(data) : state.reload());
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{t("nav.smtp")}</h1>
        {editing === null && (
          <button type="button" class="primary" onClick={() => setEditing("new")}>
            {t("smtp.add")}
          </button>
        )}
      </div>
      <p class="muted">{t("smtp.intro")}</p>
      {editing !== null && (
        <ProviderForm
          existing={editing === "new" ? null : editing}
          onCancel={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            state.reload();
          }}
        />
      )}
      <Async state={state} isEmpty={(d) => d.providers.length === 0} empty={t("smtp.empty")}>
        {(list) => (
          <ul class="plain">
            {list.providers.map((p) => (
              <ProviderRow key={p.provider_id} p={p} list={list} onChanged={changed} onEdit={setEditing} />
            ))}
          </ul>
        )}
      </Async>
    </section>
  );
}
