import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CLIENT_ID, authorizeUrl, challengeFor, codeFromRedirect, makeVerifier, sessionFromTokenResponse, tokenRequestBody,
} from "../src/lib/pkce.js";

test("the S256 challenge matches RFC 7636's worked example (and so Slotwise's pkce_challenge)", async () => {
  assert.equal(await challengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("verifiers are fresh 43-character base64url strings", () => {
  const a = makeVerifier();
  const b = makeVerifier();
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
});

test("the authorize URL carries the extension's client id, the redirect URI and the challenge", () => {
  const url = new URL(authorizeUrl({ server: "http://127.0.0.1:8000", redirectUri: "https://abc.chromiumapp.org/",
    challenge: "c".repeat(43), state: "s1" }));
  assert.equal(url.pathname, "/oauth/authorize");
  assert.deepEqual(Object.fromEntries(url.searchParams), {
    client_id: CLIENT_ID, redirect_uri: "https://abc.chromiumapp.org/", response_type: "code",
    code_challenge: "c".repeat(43), code_challenge_method: "S256", state: "s1", scope: "write",
  });
});

test("the redirect gives the code only when the state matches; a denial says what to do", () => {
  assert.equal(codeFromRedirect("https://abc.chromiumapp.org/?code=K&state=s1", "s1"), "K");
  assert.throws(() => codeFromRedirect("https://abc.chromiumapp.org/?code=K&state=other", "s1"), /did not match/);
  assert.throws(() => codeFromRedirect("https://abc.chromiumapp.org/?error=access_denied&state=s1", "s1"),
    /choose Allow/);
});

test("the token request and the stored session", () => {
  const body = tokenRequestBody({ code: "K", verifier: "V", redirectUri: "https://abc.chromiumapp.org/" });
  assert.equal(body.get("grant_type"), "authorization_code");
  assert.equal(body.get("code_verifier"), "V");
  assert.deepEqual(sessionFromTokenResponse({ access_token: "A", refresh_token: "R", expires_in: 7200 }, 1000),
    { kind: "oauth", accessToken: "A", refreshToken: "R", expiresAt: 7201000 });
});
