// The popup's decisions, kept apart from the DOM so Node's test runner can check them.

/** Starred first, then active before off, then by name; `query` matches name, team or slug. */
export function visibleEventTypes(eventTypes, query = "") {
  const q = query.trim().toLowerCase();
  const matches = (e) => !q || [e.name, e.team || "", e.slug].some((t) => t.toLowerCase().includes(q));
  return eventTypes.filter(matches).sort((a, b) =>
    Number(b.starred) - Number(a.starred) || Number(b.active) - Number(a.active) || a.name.localeCompare(b.name));
}

export function withStar(eventTypes, uuid, starred) {
  return eventTypes.map((e) => (e.uuid === uuid ? { ...e, starred } : e));
}

const STATE_TEXT = { unused: "unused", used: "used", expired: "expired", revoked: "revoked" };

/** One line per link: what it books, for whom, its state. */
export function linkRows(links, limit = 10) {
  return links.slice(0, limit).map((l) => ({
    url: l.booking_url,
    title: l.owner_name,
    who: [l.prefill?.name, l.prefill?.reference && `ref ${l.prefill.reference}`].filter(Boolean).join(" · "),
    state: STATE_TEXT[l.state] || l.state,
    created: l.created_at,
  }));
}

/** What the list area says when there is nothing to click. */
export function emptyMessage(eventTypes, query, server) {
  if (eventTypes.length === 0) {
    return `You have no event types yet. Create one in the dashboard: ${server}/dashboard/event-types/new/`;
  }
  return `No event type matches "${query.trim()}".`;
}

/** Where an error sends the user. */
export function errorAction(error) {
  if (error.kind === "signin") return "settings";
  if (error.kind === "unreachable") return "settings";
  if (error.kind === "deactivated") return "dashboard";
  if (error.kind === "notfound") return "reload";
  return "none";
}
