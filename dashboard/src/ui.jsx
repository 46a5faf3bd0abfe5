// Shared pieces: loading / empty / error states, the data hook, copy and confirm buttons.
import { useEffect, useState, useCallback, useRef } from "preact/hooks";
import { t } from "./i18n.js";

/** What a failed call says to a person: the API's own message when it gave one. */
export function errorText(err) {
  if (!err) return "";
  if (err.status === 0) return t("error.network");
  const head =
    err.status === 429
      ? t("error.rate_limited")
      : err.status >= 500
        ? t("error.server")
        : err.status === 404
          ? t("error.not_found")
          : err.status === 401 || err.status === 403
            ? t("error.forbidden")
            : t("error.request");
  return err.message ? `${head} ${err.message}` : head;
}

export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  return (
    <div class="alert error" role="alert" data-testid="error">
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  return (
    <p class="muted" role="status" aria-live="polite" data-testid="loading">
      {t("common.loading")}
    </p>
  );
}

export function Empty({ text }) {
  return (
    <p class="empty" data-testid="empty">
      {text || t("common.empty")}
    </p>
  );
}

/** load() once and on reload(); {data, error, loading, reload, setData}. */
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error) => mine === seq.current && setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run, setData: (data) => setState((s) => ({ ...s, data })) };
}

/** Shows loading, error (with retry) or the content; empty when isEmpty(data). */
export function Async({ state, empty, isEmpty, children }) {
  if (state.loading && state.data === null) return <Loading />;
  if (state.error) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === null) return <Loading />;
  // A reload (new filters, another page) keeps the last data on screen and says it is loading.
  const busy = state.loading ? <Loading /> : null;
  if (isEmpty && isEmpty(state.data))
    return (
      <div aria-busy={state.loading}>
        {busy}
        <Empty text={empty} />
      </div>
    );
  return (
    <div aria-busy={state.loading}>
      {busy}
      {children(state.data)}
    </div>
  );
}

/** An action button: busy while it runs, its error shown next to it. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (fn) => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

export function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
      setTimeout(() => setDone(false), 1500);
    } catch {
      setDone(false);
    }
  };
  return (
    <button type="button" class="small" onClick={copy} aria-label={label || t("common.copy")}>
      {done ? t("common.copied") : t("common.copy")}
    </button>
  );
}

/** A delete (or other destructive) button that asks first, in the page not a native dialog. */
export function ConfirmButton({ label, question, onConfirm, testid }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" class="small danger" data-testid={testid} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        class="small danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("common.confirm")}
      </button>
      <button type="button" class="small" onClick={() => setAsking(false)}>
        {t("common.cancel")}
      </button>
    </span>
  );
}

export function Field({ id, label, children, hint }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && <small class="muted">{hint}</small>}
    </div>
  );
}

export function StatusBadge({ value }) {
  return <span class={`badge s-${value}`}>{t(`status.${value}`) === `status.${value}` ? value : t(`status.${value}`)}</span>;
}
