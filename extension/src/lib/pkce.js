// OAuth 2 authorization code flow with PKCE (RFC 7636, S256), as Slotwise's /oauth/authorize requires.

export const CLIENT_ID = "slotwise-browser-extension";

function base64url(bytes) {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A fresh verifier: 32 random bytes, 43 characters of base64url. */
export function makeVerifier(cryptoImpl = globalThis.crypto) {
  return base64url(cryptoImpl.getRandomValues(new Uint8Array(32)));
}

export async function challengeFor(verifier, cryptoImpl = globalThis.crypto) {
  const digest = await cryptoImpl.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function authorizeUrl({ server, redirectUri, challenge, state, scope = "write" }) {
  const params = new URLSearchParams({
    client_id: CLIENT_ID, redirect_uri: redirectUri, response_type: "code",
    code_challenge: challenge, code_challenge_method: "S256", state, scope,
  });
  return `${server}/oauth/authorize?${params}`;
}

/** The code from the redirect the authorization server sent back, or an error that says what happened. */
export function codeFromRedirect(redirected, expectedState) {
  const url = new URL(redirected);
  const params = url.searchParams;
  if (params.get("error")) {
    throw new Error(params.get("error") === "access_denied"
      ? "Sign-in was cancelled. Click Sign in again and choose Allow."
      : `Sign-in failed (${params.get("error")}). Try again, or paste a personal token instead.`);
  }
  if (params.get("state") !== expectedState) throw new Error("Sign-in answer did not match this request; try again.");
  const code = params.get("code");
  if (!code) throw new Error("Sign-in returned no code; try again, or paste a personal token instead.");
  return code;
}

/** The form body of the token request that trades the code (and the verifier) for tokens. */
export function tokenRequestBody({ code, verifier, redirectUri }) {
  return new URLSearchParams({
    grant_type: "authorization_code", client_id: CLIENT_ID, code, code_verifier: verifier, redirect_uri: redirectUri,
  });
}

export function refreshRequestBody(refreshToken) {
  return new URLSearchParams({ grant_type: "refresh_token", client_id: CLIENT_ID, refresh_token: refreshToken });
}

/** What to keep from a token response; `now` in milliseconds. */
export function sessionFromTokenResponse(body, now) {
  return {
    kind: "oauth", accessToken: body.access_token, refreshToken: body.refresh_token,
    expiresAt: now + Number(body.expires_in || 0) * 1000,
  };
}
