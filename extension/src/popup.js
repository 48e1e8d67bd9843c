import { ApiError, createClient } from "./lib/api.js";
import { ext, loadSettings, saveSettings } from "./lib/ext.js";
import { emptyMessage, errorAction, linkRows, visibleEventTypes, withStar } from "./lib/view.js";

const $ = (id) => document.getElementById(id);
let client = null;
let settings = {};
let eventTypes = [];

function feedback(kind, text, action) {
  const box = $("feedback");
  box.className = kind;
  box.replaceChildren(document.createTextNode(text));
  if (action === "settings") box.append(button("Open settings", () => ext.runtime.openOptionsPage()));
  if (action === "dashboard") {
    box.append(button("Open the dashboard", () => ext.tabs?.create
      ? ext.tabs.create({ url: `${settings.server}/dashboard/` }) : window.open(`${settings.server}/dashboard/`)));
  }
}

function button(text, onClick, cls = "") {
  const b = document.createElement("button");
  b.textContent = text;
  if (cls) b.className = cls;
  b.addEventListener("click", onClick);
  return b;
}

function linkIcon() {
  // A chain link, drawn here so that no font or remote image is needed.
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  for (const d of ["M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7", "M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"]) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    svg.append(path);
  }
  return svg;
}

function showError(error) {
  if (!(error instanceof ApiError)) error = new ApiError("server", String(error.message || error));
  const action = errorAction(error);
  feedback("error", error.message, action);
  if (action === "reload") refresh();
}

function renderEventTypes() {
  const list = $("event-types");
  const query = $("search").value;
  const shown = visibleEventTypes(eventTypes, query);
  list.replaceChildren(...shown.map((e) => {
    const li = document.createElement("li");
    li.dataset.uuid = e.uuid;
    li.dataset.name = e.name;
    if (!e.active) li.className = "off";
    const star = button("★", () => toggleStar(e), "star");
    star.setAttribute("aria-pressed", String(e.starred));
    star.title = e.starred ? "Unstar" : "Star";
    star.setAttribute("aria-label", `${e.starred ? "Unstar" : "Star"} ${e.name}`);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = e.name;
    const small = document.createElement("small");
    small.textContent = [`${e.duration} min`, e.team && `team ${e.team}`, !e.active && "off"].filter(Boolean).join(" · ");
    name.append(small);
    const link = button("Link", () => makeLink(e, link), "link");
    link.prepend(linkIcon());
    link.title = `Copy a single-use link for ${e.name}`;
    link.setAttribute("aria-label", `Single-use link for ${e.name}`);
    li.append(star, name, link);
    return li;
  }));
  const empty = $("empty");
  empty.hidden = shown.length > 0;
  empty.textContent = shown.length ? "" : emptyMessage(eventTypes, query, settings.server);
}

function renderLinks(links) {
  $("links").replaceChildren(...linkRows(links).map((row) => {
    const li = document.createElement("li");
    li.dataset.url = row.url;
    li.dataset.state = row.state;
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = row.who ? `${row.title} — ${row.who}` : row.title;
    what.title = row.url;
    const state = document.createElement("span");
    state.className = `state ${row.state}`;
    state.textContent = row.state;
    li.append(what, state);
    return li;
  }));
}

async function toggleStar(e) {
  try {
    await client.star(e.uuid, !e.starred);
    eventTypes = withStar(eventTypes, e.uuid, !e.starred);
    renderEventTypes();
  } catch (error) {
    showError(error);
  }
}

async function makeLink(e, btn) {
  btn.disabled = true;
  feedback("ok", `Creating a link for ${e.name}…`);
  try {
    const created = await client.createLink(e.uuid, {
      name: $("prefill-name").value, email: $("prefill-email").value,
      reference: $("prefill-reference").value, expires: $("prefill-expires").value,
    });
    await navigator.clipboard.writeText(created.booking_url);
    feedback("ok", `Copied: ${created.booking_url}`);
    for (const id of ["prefill-name", "prefill-email", "prefill-reference", "prefill-expires"]) $(id).value = "";
    renderLinks(await client.recentLinks());
  } catch (error) {
    showError(error);
  } finally {
    btn.disabled = false;
  }
}

async function refresh() {
  try {
    const [types, links] = await Promise.all([client.eventTypes(), client.recentLinks()]);
    eventTypes = types;
    renderEventTypes();
    renderLinks(links);
  } catch (error) {
    showError(error);
  }
}

async function start() {
  $("open-settings").addEventListener("click", () => ext.runtime.openOptionsPage());
  $("go-sign-in").addEventListener("click", () => ext.runtime.openOptionsPage());
  $("search").addEventListener("input", renderEventTypes);
  settings = await loadSettings();
  if (!settings.server || !settings.session?.accessToken) {
    $("signed-out").hidden = false;
    return;
  }
  $("signed-in").hidden = false;
  client = createClient({
    server: settings.server, session: settings.session,
    saveSession: async (session) => { settings = { ...settings, session }; await saveSettings(settings); },
  });
  await refresh();
  document.body.dataset.ready = "1";
}

start();
