import assert from "node:assert/strict";
import { test } from "node:test";

import { emptyMessage, errorAction, linkRows, visibleEventTypes, withStar } from "../src/lib/view.js";

const types = [
  { uuid: "1", name: "Intro call", slug: "intro", team: null, active: true, starred: false },
  { uuid: "2", name: "Team Support Call", slug: "support-call", team: "Support", active: true, starred: true },
  { uuid: "3", name: "Archived", slug: "archived", team: null, active: false, starred: false },
  { uuid: "4", name: "Support Call", slug: "support", team: null, active: true, starred: false },
];

test("starred first, then active ones by name, then the ones that are off", () => {
  assert.deepEqual(visibleEventTypes(types).map((e) => e.uuid), ["2", "1", "4", "3"]);
  assert.deepEqual(visibleEventTypes(withStar(types, "4", true)).map((e) => e.uuid), ["4", "2", "1", "3"]);
});

test("search matches name, team and slug, case-insensitively", () => {
  assert.deepEqual(visibleEventTypes(types, "SUPPORT").map((e) => e.uuid), ["2", "4"]);
  assert.deepEqual(visibleEventTypes(types, "intro").map((e) => e.uuid), ["1"]);
  assert.deepEqual(visibleEventTypes(types, "nothing"), []);
});

test("withStar does not change the list it was given", () => {
  const copy = structuredClone(types);
  withStar(types, "1", true);
  assert.deepEqual(types, copy);
});

test("no event types at all says where to create one; a search without hits says so", () => {
  assert.match(emptyMessage([], "", "http://127.0.0.1:8000"), /http:\/\/127.0.0.1:8000\/dashboard\/event-types\/new\//);
  assert.equal(emptyMessage(types, " zz ", "x"), 'No event type matches "zz".');
});

test("the last 10 links, with who they were for and their state", () => {
  const links = Array.from({ length: 12 }, (_, i) => ({
    booking_url: `u${i}`, owner_name: "Team Support Call", state: i === 0 ? "used" : "unused", created_at: "t",
    prefill: { name: i === 0 ? "Ada" : "", email: "", reference: i === 0 ? "T-1" : "" },
  }));
  const rows = linkRows(links);
  assert.equal(rows.length, 10);
  assert.deepEqual(rows[0], { url: "u0", title: "Team Support Call", who: "Ada · ref T-1", state: "used", created: "t" });
  assert.equal(rows[1].who, "");
});

test("each error sends the user where the fix is", () => {
  assert.equal(errorAction({ kind: "signin" }), "settings");
  assert.equal(errorAction({ kind: "unreachable" }), "settings");
  assert.equal(errorAction({ kind: "deactivated" }), "dashboard");
  assert.equal(errorAction({ kind: "notfound" }), "reload");
  assert.equal(errorAction({ kind: "invalid" }), "none");
});
