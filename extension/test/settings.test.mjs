import assert from "node:assert/strict";
import { test } from "node:test";

import { normalizeServer, originPattern } from "../src/lib/settings.js";

test("https addresses of any self-hosted server are accepted and reduced to their origin", () => {
  assert.equal(normalizeServer(" https://book.example.com/dashboard/ "), "https://book.example.com");
  assert.equal(normalizeServer("book.example.com"), "https://book.example.com");
  assert.equal(normalizeServer("https://book.example.com:8443"), "https://book.example.com:8443");
});

test("plain http is only for this machine", () => {
  assert.equal(normalizeServer("http://127.0.0.1:8000/"), "http://127.0.0.1:8000");
  assert.equal(normalizeServer("http://localhost:8000"), "http://localhost:8000");
  assert.throws(() => normalizeServer("http://book.example.com"), /Use https:\/\/ for book.example.com/);
  assert.throws(() => normalizeServer("http://127.0.0.1.evil.test"), /plain http is only for localhost/);
});

test("nonsense, other schemes and credentials in the address are refused with what to fix", () => {
  assert.throws(() => normalizeServer(""), /Enter your Slotwise address/);
  assert.throws(() => normalizeServer("ftp://x.example.com"), /Use an https:\/\/ address/);
  assert.throws(() => normalizeServer("https://user:pw@x.example.com"), /user name and password/);
  assert.throws(() => normalizeServer("https://exa mple"), /not a web address/);
});

test("the host permission asked for is exactly the entered origin's host", () => {
  assert.equal(originPattern("http://127.0.0.1:8000"), "http://127.0.0.1/*");
  assert.equal(originPattern("https://book.example.com"), "https://book.example.com/*");
});
