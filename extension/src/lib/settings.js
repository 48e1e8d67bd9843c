// The Slotwise server the extension talks to: any self-hosted instance over https; plain http only for this
// machine (localhost, 127.0.0.1, [::1]), where nothing travels over a network.

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Normalize what the user typed into an origin like "https://slotwise.example.com", or throw with what to fix. */
export function normalizeServer(input) {
  const text = String(input ?? "").trim();
  if (!text) throw new Error("Enter your Slotwise address, e.g. https://slotwise.example.com");
  let url;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    throw new Error(`"${text}" is not a web address; enter something like https://slotwise.example.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`Use an https:// address (got ${url.protocol})`);
  }
  if (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname)) {
    throw new Error(`Use https:// for ${url.hostname}: plain http is only for localhost and 127.0.0.1`);
  }
  if (url.username || url.password) throw new Error("Leave the user name and password out of the address");
  return url.origin;
}

/** The host-permission pattern to ask for at runtime, for exactly this origin. */
export function originPattern(origin) {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}/*`;
}
