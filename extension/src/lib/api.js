// Talks to one Slotwise server with the stored credentials. Every failure becomes an ApiError whose message
// says what to do next; `kind` lets the popup choose where to send the user (settings, dashboard, retry).

import { refreshRequestBody, sessionFromTokenResponse } from "./pkce.js";

export class ApiError extends Error {
  constructor(kind, message, status = 0) {
    super(message);
    this.kind = kind; // unreachable | signin | deactivated | notfound | invalid | server
    this.status = status;
  }
}

/**
 * @param {object} o
 * @param {string} o.server origin
 * @param {{kind: string, accessToken: string, refreshToken?: string}} o.session
 * @param {(session) => Promise<void>} [o.saveSession] called after a refresh rotated the tokens
 * @param {typeof fetch} [o.fetchImpl]
 * @param {() => number} [o.clock] milliseconds
 */
export function createClient({ server, session, saveSession = async () => {}, fetchImpl = globalThis.fetch, clock = Date.now }) {
  let current = session;

  async function send(path, { method = "GET", form, json } = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${current.accessToken}` };
    let body;
    if (form) {
      body = new URLSearchParams(form);
      headers["Content-Type"] = "application/x-www-form-urlencoded";
    } else if (json) {
      body = JSON.stringify(json);
      headers["Content-Type"] = "application/json";
    }
    try {
      return await fetchImpl(`${server}${path}`, { method, headers, body, credentials: "omit" });
    } catch {
      throw new ApiError("unreachable",
        `Cannot reach ${server}. Check that Slotwise is running there and that the address in Settings is right.`);
    }
  }

  async function refresh() {
    if (current.kind !== "oauth" || !current.refreshToken) return false;
    let response;
    try {
      response = await fetchImpl(`${server}/oauth/token`, {
        method: "POST", body: refreshRequestBody(current.refreshToken), credentials: "omit",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      });
    } catch {
      throw new ApiError("unreachable", `Cannot reach ${server}. Check that Slotwise is running there.`);
    }
    if (!response.ok) return false;
    current = sessionFromTokenResponse(await response.json(), clock());
    await saveSession(current);
    return true;
  }

  async function request(path, options = {}) {
    let response = await send(path, options);
    if (response.status === 401 && (await refresh())) response = await send(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return data;
    const said = (data && data.message) || "";
    if (response.status === 401) {
      throw new ApiError("signin", current.kind === "oauth"
        ? "Your sign-in has expired. Open Settings and sign in again."
        : "This token is no longer accepted (revoked or expired). Open Settings and sign in again, or paste a new token.",
      401);
    }
    if (response.status === 403) throw new ApiError("invalid", said || "Slotwise refused this for your account.", 403);
    if (response.status === 404) {
      throw new ApiError("notfound", "This event type no longer exists. The list has been refreshed.", 404);
    }
    if (response.status === 400 && /is off; turn it on/.test(said)) {
      throw new ApiError("deactivated", `${said.replace(/^event_type: /, "")} in the Slotwise dashboard.`, 400);
    }
    if (response.status >= 500) {
      throw new ApiError("server", `Slotwise had a problem (${response.status}). Try again in a moment.`, response.status);
    }
    throw new ApiError("invalid", said || `Slotwise said no (${response.status}).`, response.status);
  }

  return {
    get session() { return current; },
    me: () => request("/api/v2/users/me"),
    eventTypes: async () => (await request("/api/apps/extension/v1/users/me/event_types")).collection,
    recentLinks: async (count = 10) => (await request(`/api/v2/scheduling_links?count=${count}`)).collection,
    star: (uuid, on) => request(`/api/v2/event_types/${uuid}/star`, { method: on ? "PUT" : "DELETE" }),
    createLink: (uuid, prefill = {}) => {
      const form = { event_type_uuid: uuid };
      for (const key of ["name", "email", "reference", "expires"]) {
        const value = (prefill[key] || "").trim();
        if (value) form[key] = value;
      }
      return request("/api/apps/extension/v1/users/me/event_type_single_use_links", { method: "POST", form });
    },
  };
}
