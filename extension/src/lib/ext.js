// One code base for Chromium and Firefox: Firefox has `browser.*` (promises), Chromium `chrome.*` (promises
// in Manifest V3 too). Everything else uses `ext`.
export const ext = globalThis.browser ?? globalThis.chrome;

const KEY = "slotwise";

/** The stored settings: {server, session: {kind, accessToken, refreshToken, expiresAt}}. extension storage only. */
export async function loadSettings() {
  const got = await ext.storage.local.get(KEY);
  return got[KEY] || {};
}

export async function saveSettings(settings) {
  await ext.storage.local.set({ [KEY]: settings });
}
