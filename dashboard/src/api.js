// Every call the dashboard makes to the public HTTP API (the same openapi.json contract SDK users
// get). Shapes live here only, so a change in the API is a one-line change in this file.

const BASE = "/api/v1";
const KEY = "mailpass.apiKey";

// The key lives in sessionStorage only: never a URL, localStorage, a cookie or a log.
export const session = {
  get: () => sessionStorage.getItem(KEY),
  set: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A failed call: `status` (0 for a network failure), the API's `code` and `message`. Carries
 * no request data, so nothing that reports it can leak the key. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || [];
  }
}

async function call(method, path, { body, query, key } = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Authorization: `Bearer ${key || session.get() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", "");
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok || !payload || payload.success === false) {
    const e = (payload && payload.error) || {};
    throw new ApiError(response.status, e.code || `http_${response.status}`, e.message || "", e.details);
  }
  return payload.data;
}

const enc = encodeURIComponent;

export const api = {
  // sign-in: /account needs `settings`, so it proves the key is a dashboard key
  account: (key) => call("GET", "/account", { key }),

  // Overview (issue 12): data = {buckets: [{start, sent, ...}], totals}
  stats: (q) => call("GET", "/stats", { query: { granularity: "day", ...q } }),

  // Emails (issue 12 for the list): data = {messages, next_cursor}
  messages: (q) => call("GET", "/mail/messages", { query: q }),
  message: (id) => call("GET", `/mail/status/${enc(id)}`),
  cancel: (id) => call("POST", `/mail/cancel/${enc(id)}`),

  // SMTP settings
  providers: () => call("GET", "/smtp-providers"),
  createProvider: (body) => call("POST", "/smtp-providers", { body }),
  updateProvider: (id, body) => call("PATCH", `/smtp-providers/${enc(id)}`, { body }),
  deleteProvider: (id) => call("DELETE", `/smtp-providers/${enc(id)}`),
  testProvider: (id) => call("POST", `/smtp-providers/${enc(id)}/test`),
  makeDefault: (id) => call("POST", `/smtp-providers/${enc(id)}/default`),
  setFallbacks: (ids) => call("PUT", "/smtp-providers/fallbacks", { body: { provider_ids: ids } }),

  // Domains
  domains: () => call("GET", "/domains").then((d) => d.domains),
  createDomain: (name) => call("POST", "/domains", { body: { name } }),
  verifyDomain: (id) => call("POST", `/domains/${enc(id)}/verify`),
  deleteDomain: (id) => call("DELETE", `/domains/${enc(id)}`),

  // API keys (issue 12): create answers {key_id, key}
  apiKeys: () => call("GET", "/api-keys").then((d) => d.api_keys),
  createApiKey: (body) => call("POST", "/api-keys", { body }),
  revokeApiKey: (id) => call("DELETE", `/api-keys/${enc(id)}`),

  // Webhooks (deliveries, test, rotate-secret and PATCH are issue 12's)
  webhooks: () => call("GET", "/webhooks").then((d) => d.webhooks),
  createWebhook: (body) => call("POST", "/webhooks", { body }),
  updateWebhook: (id, body) => call("PATCH", `/webhooks/${enc(id)}`, { body }),
  enableWebhook: (id) => call("PATCH", `/webhooks/${enc(id)}`, { body: { enabled: true } }),
  deleteWebhook: (id) => call("DELETE", `/webhooks/${enc(id)}`),
  webhookDeliveries: (id) => call("GET", `/webhooks/${enc(id)}/deliveries`).then((d) => d.deliveries),
  testWebhook: (id) => call("POST", `/webhooks/${enc(id)}/test`),
  rotateWebhookSecret: (id) => call("POST", `/webhooks/${enc(id)}/rotate-secret`),

  // Suppressions (adding one is issue 12's)
  // data = {suppressions, next_cursor}; `reason` filters by kind (bounce, complaint, manual)
  suppressions: (q) => call("GET", "/suppressions", { query: q }),
  addSuppression: (body) => call("POST", "/suppressions", { body }),
  removeSuppression: (email) => call("DELETE", `/suppressions/${enc(email)}`),

  // Templates
  templates: () => call("GET", "/templates").then((d) => d.templates),
  template: (id) => call("GET", `/templates/${enc(id)}`),
  createTemplate: (body) => call("POST", "/templates", { body }),
  updateTemplate: (id, body) => call("PATCH", `/templates/${enc(id)}`, { body }),
  deleteTemplate: (id) => call("DELETE", `/templates/${enc(id)}`),
};
