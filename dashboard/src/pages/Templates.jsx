// Templates: list, edit with a preview rendered from sample variables, delete.
import { useState } from "preact/hooks";
import { api } from "../api.js";
import { t, fmtDate } from "../i18n.js";
import { Async, ErrorBox, useLoad, useAction, Field, ConfirmButton } from "../ui.jsx";

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const escapeHtml = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** The API's templates allow only `{{ name }}` placeholders (HTML parts autoescaped), so the
 * preview fills them the same way the server does. */
export function fill(source, vars, html) {
  return (source || "").replace(PLACEHOLDER, (m, name) => {
    if (!(name in vars) || vars[name] === "") return m;
    return html ? escapeHtml(vars[name]) : vars[name];
  });
}

export function variablesOf(...sources) {
  const found = new Set();
  for (const s of sources) for (const m of (s || "").matchAll(PLACEHOLDER)) found.add(m[1]);
  return [...found];
}

function Editor({ existing, onDone, onCancel }) {
  const [f, setF] = useState({
    name: existing?.name || "",
    subject: existing?.subject || "",
    html: existing?.html || "",
    text: existing?.text || "",
  });
  const [vars, setVars] = useState({});
  const action = useAction();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const names = variablesOf(f.subject, f.html, f.text);
  const save = (e) => {
    e.preventDefault();
    const body = { name: f.name, subject: f.subject, html: f.html || null, text: f.text || null };
    action.run(async () => onDone(existing ? await api.updateTemplate(existing.template_id, body) : await api.createTemplate(body)));
  };
  return (
    <form class="card" onSubmit={save} aria-label={t("tpl.editor")}>
      <h2>{existing ? t("tpl.edit_title", { name: existing.name }) : t("tpl.new")}</h2>
      <div class="two">
        <div>
          <Field id="tpl-name" label={t("tpl.name")}>
            <input id="tpl-name" value={f.name} onInput={set("name")} required />
          </Field>
          <Field id="tpl-subject" label={t("tpl.subject")}>
            <input id="tpl-subject" value={f.subject} onInput={set("subject")} required />
          </Field>
          <Field id="tpl-html" label={t("tpl.html")}>
            <textarea id="tpl-html" rows={8} value={f.html} onInput={set("html")} />
          </Field>
          <Field id="tpl-text" label={t("tpl.text")}>
            <textarea id="tpl-text" rows={4} value={f.text} onInput={set("text")} />
          </Field>
        </div>
        <div>
          <h3>{t("tpl.sample")}</h3>
          {names.length === 0 && <p class="muted">{t("tpl.no_vars")}</p>}
          {names.map((n) => (
            <Field id={`var-${n}`} label={n}>
              <input id={`var-${n}`} value={vars[n] || ""} onInput={(e) => setVars({ ...vars, [n]: e.currentTarget.value })} />
            </Field>
          ))}
          <h3>{t("tpl.preview")}</h3>
          <p data-testid="preview-subject">
            <strong>{fill(f.subject, vars, false)}</strong>
          </p>
          {f.html && (
            <iframe class="preview" title={t("tpl.preview")} sandbox="" srcdoc={fill(f.html, vars, true)} data-testid="preview-html" />
          )}
          {f.text && <pre class="preview-text">{fill(f.text, vars, false)}</pre>}
        </div>
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

function DeleteButton({ tpl, onDone }) {
  const action = useAction();
  return (
    <span>
      <ConfirmButton
        label={t("common.delete")}
        question={t("tpl.delete_confirm", { name: tpl.name })}
        onConfirm={() => action.run(async () => (await api.deleteTemplate(tpl.template_id), onDone()))}
      />
      <ErrorBox error={action.error} />
    </span>
  );
}

export function Templates() {
  const state = useLoad(() => api.templates());
  const [editing, setEditing] = useState(null);
  const done = () => {
    setEditing(null);
    state.reload();
  };
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">{t("nav.templates")}</h1>
        {editing === null && (
          <button type="button" class="primary" onClick={() => setEditing("new")}>
            {t("tpl.new")}
          </button>
        )}
      </div>
      {editing !== null && <Editor existing={editing === "new" ? null : editing} onDone={done} onCancel={() => setEditing(null)} />}
      <Async state={state} isEmpty={(d) => d.length === 0} empty={t("tpl.empty")}>
        {(list) => (
          <table class="list">
            <thead>
              <tr>
                <th scope="col">{t("tpl.name")}</th>
                <th scope="col">{t("tpl.subject")}</th>
                <th scope="col">{t("tpl.variables")}</th>
                <th scope="col">{t("common.updated")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((tpl) => (
                <tr>
                  <td>{tpl.name}</td>
                  <td>{tpl.subject}</td>
                  <td>{(tpl.variables || []).join(", ")}</td>
                  <td>{fmtDate(tpl.updated_at || tpl.created_at)}</td>
                  <td class="actions">
                    <button type="button" class="small" onClick={() => setEditing(tpl)}>
                      {t("common.edit")}
                    </button>
                    <DeleteButton tpl={tpl} onDone={state.reload} />
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
