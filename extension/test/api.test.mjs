import assert from "node:assert/strict";
import { test } from "node:test";

import { ApiError, createClient } from "../src/lib/api.js";

/** A fetch that answers from a list of [status, body] and records the requests. */
function fakeFetch(answers) {
  const calls = [];
  const impl = async (url, init = {}) => {
    calls.push({ url, ...init, headers: { ...init.headers } });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    const [status, body] = next;
    return { status, ok: status >= 200 && status < 300, json: async () => body };
  };
  return { impl, calls };
}

const SERVER = "http://127.0.0.1:8000";

test("a server that cannot be reached says to check the address and that Slotwise runs", async () => {
  const { impl } = fakeFetch([new TypeError("Failed to fetch")]);
  const client = createClient({ server: SERVER, session: { kind: "personal", accessToken: "t" }, fetchImpl: impl });
  await assert.rejects(client.eventTypes(), (e) => e instanceof ApiError && e.kind === "unreachable"
    && /Cannot reach http:\/\/127.0.0.1:8000/.test(e.message));
});

test("a rejected personal token says to sign in again", async () => {
  const { impl } = fakeFetch([[401, { title: "Unauthenticated", message: "token revoked" }]]);
  const client = createClient({ server: SERVER, session: { kind: "personal", accessToken: "t" }, fetchImpl: impl });
  await assert.rejects(client.recentLinks(), (e) => e.kind === "signin" && /sign in again/.test(e.message));
});

test("an expired OAuth token is refreshed once, the new pair saved, and the request retried", async () => {
  const { impl, calls } = fakeFetch([
    [401, { message: "expired" }],
    [200, { access_token: "A2", refresh_token: "R2", expires_in: 7200 }],
    [200, { collection: [] }],
  ]);
  const saved = [];
  const client = createClient({ server: SERVER, session: { kind: "oauth", accessToken: "A1", refreshToken: "R1" },
    fetchImpl: impl, saveSession: async (s) => saved.push(s), clock: () => 0 });
  assert.deepEqual(await client.eventTypes(), []);
  assert.equal(calls[1].url, `${SERVER}/oauth/token`);
  assert.equal(calls[1].body.get("refresh_token"), "R1");
  assert.equal(calls[2].headers.Authorization, "Bearer A2");
  assert.equal(saved[0].refreshToken, "R2");
});

test("a refresh the server refuses ends in 'sign in again', not a loop", async () => {
  const { impl, calls } = fakeFetch([[401, {}], [400, { error: "invalid_grant" }]]);
  const client = createClient({ server: SERVER, session: { kind: "oauth", accessToken: "A", refreshToken: "R" },
    fetchImpl: impl });
  await assert.rejects(client.eventTypes(), (e) => e.kind === "signin" && /sign-in has expired/.test(e.message));
  assert.equal(calls.length, 2);
});

test("a deactivated event type says to turn it on in the dashboard", async () => {
  const { impl } = fakeFetch([[400, { title: "Invalid Argument",
    message: "event_type: Support call is off; turn it on before sharing a link" }]]);
  const client = createClient({ server: SERVER, session: { kind: "personal", accessToken: "t" }, fetchImpl: impl });
  await assert.rejects(client.createLink("u1"), (e) => e.kind === "deactivated"
    && e.message === "Support call is off; turn it on before sharing a link in the Slotwise dashboard.");
});

test("a link is created with the form the server expects: only the prefill that was filled in", async () => {
  const { impl, calls } = fakeFetch([[201, { booking_url: `${SERVER}/d/tok/` }]]);
  const client = createClient({ server: SERVER, session: { kind: "personal", accessToken: "t" }, fetchImpl: impl });
  const made = await client.createLink("u1", { name: " Ada ", email: "", reference: "T-1" });
  assert.equal(made.booking_url, `${SERVER}/d/tok/`);
  assert.equal(calls[0].url, `${SERVER}/api/apps/extension/v1/users/me/event_type_single_use_links`);
  assert.deepEqual(Object.fromEntries(calls[0].body), { event_type_uuid: "u1", name: "Ada", reference: "T-1" });
  assert.equal(calls[0].credentials, "omit");
  assert.equal(calls[0].headers.Authorization, "Bearer t");
});

test("stars are PUT and DELETE on the event type", async () => {
  const { impl, calls } = fakeFetch([[200, {}], [200, {}]]);
  const client = createClient({ server: SERVER, session: { kind: "personal", accessToken: "t" }, fetchImpl: impl });
  await client.star("u1", true);
  await client.star("u1", false);
  assert.deepEqual(calls.map((c) => [c.method, c.url]), [
    ["PUT", `${SERVER}/api/v2/event_types/u1/star`], ["DELETE", `${SERVER}/api/v2/event_types/u1/star`]]);
});
