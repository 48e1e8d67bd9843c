import { createClient } from "./lib/api.js";
import { ext, loadSettings, saveSettings } from "./lib/ext.js";
import {
  authorizeUrl, challengeFor, codeFromRedirect, makeVerifier, sessionFromTokenResponse, tokenRequestBody,
} from "./lib/pkce.js";
import { normalizeServer, originPattern } from "./lib/settings.js";

const $ = (id) => document.getElementById(id);

function say(kind, text) {
  const box = $("feedback");
  box.className = kind;
  box.textContent = text;
}

async function allowOrigin(origin) {
  const origins = [originPattern(origin)];
  if (await ext.permissions.contains({ origins })) return true;
  return ext.permissions.request({ origins });
}

async function currentServer() {
  const server = normalizeServer($("server").value);
  if (!(await allowOrigin(server))) {
    throw new Error(`The extension needs your permission to talk to ${server}; save the address again and choose Allow.`);
  }
  const settings = await loadSettings();
  if (settings.server !== server) await saveSettings({ server });
  return server;
}

async function showWho() {
  const settings = await loadSettings();
  if (!settings.server || !settings.session?.accessToken) {
    $("who").textContent = "Not signed in.";
    return;
  }
  try {
    const me = await createClient({ server: settings.server, session: settings.session,
      saveSession: (session) => saveSettings({ ...settings, session }) }).me();
    $("who").textContent = `Signed in to ${settings.server} as ${me.resource.email}.`;
    say("ok", `Signed in as ${me.resource.email}. Open the Slotwise icon in the toolbar to make a link.`);
  } catch (error) {
    $("who").textContent = "";
    say("error", error.message);
  }
}

async function signIn() {
  const server = await currentServer();
  const redirectUri = ext.identity.getRedirectURL();
  const verifier = makeVerifier();
  const state = makeVerifier();
  const url = authorizeUrl({ server, redirectUri, challenge: await challengeFor(verifier), state });
  const redirected = await ext.identity.launchWebAuthFlow({ url, interactive: true });
  const code = codeFromRedirect(redirected, state);
  let response;
  try {
    response = await fetch(`${server}/oauth/token`, {
      method: "POST", credentials: "omit", body: tokenRequestBody({ code, verifier, redirectUri }),
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    });
  } catch {
    throw new Error(`Cannot reach ${server}. Check that Slotwise is running there.`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`Sign-in failed: ${body.error_description || response.status}. Try again.`);
  await saveSettings({ server, session: sessionFromTokenResponse(body, Date.now()) });
}

async function useToken() {
  const server = await currentServer();
  const token = $("token").value.trim();
  if (!token) throw new Error("Paste a token first: Dashboard → API tokens → create one with scope write.");
  await saveSettings({ server, session: { kind: "personal", accessToken: token } });
  $("token").value = "";
}

function guarded(fn) {
  return async (event) => {
    event?.preventDefault();
    try {
      await fn();
      await showWho();
    } catch (error) {
      say("error", error.message);
    }
  };
}

$("server-form").addEventListener("submit", guarded(async () => {
  const server = await currentServer();
  say("ok", `Saved ${server}. Now sign in.`);
}));
$("sign-in").addEventListener("click", guarded(signIn));
$("use-token").addEventListener("click", guarded(useToken));
$("sign-out").addEventListener("click", guarded(async () => {
  const settings = await loadSettings();
  await saveSettings({ server: settings.server });
}));

loadSettings().then((settings) => {
  if (settings.server) $("server").value = settings.server;
  showWho();
});
