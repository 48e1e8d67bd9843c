// Behaviour every page shares, kept out of the markup so the Content-Security-Policy can forbid inline
// script, on*= handlers and style="" attributes.
(function () {
  function apply(root) {
    // An event type's colour: set through the CSSOM (allowed by the policy), read by app.css.
    root.querySelectorAll("[data-color]").forEach(function (el) {
      el.style.setProperty("--et-color", el.getAttribute("data-color"));
    });
  }
  // <select data-detect-zone>: with nothing chosen yet, preselect the browser's zone (the person confirms it).
  function detectZone(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
    root.querySelectorAll("select[data-detect-zone]").forEach(function (el) {
      if (!el.value && zone && el.querySelector('option[value="' + zone + '"]')) el.value = zone;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { apply(document); detectZone(document); });
  document.addEventListener("htmx:afterSwap", function (ev) { apply(ev.target); });
  // <form data-confirm="question">: ask before a destructive submit (without script the form just submits).
  document.addEventListener("submit", function (ev) {
    var q = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) ev.preventDefault();
  });
  // <button data-confirm-click="question">: the same, for one button of a form with several.
  document.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("[data-confirm-click]");
    if (b && !window.confirm(b.getAttribute("data-confirm-click"))) ev.preventDefault();
  });
  // The top bar's "Settings" disclosure (<details class="navmore">): Escape closes it and gives focus back
  // to its summary; a click elsewhere closes it. Without script it opens and closes like any <details>.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    document.querySelectorAll("details.navmore[open]").forEach(function (d) {
      d.open = false;
      d.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (ev) {
    document.querySelectorAll("details.navmore[open]").forEach(function (d) {
      if (!d.contains(ev.target)) d.open = false;
    });
  });
  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (ev) {
    var el = ev.target.closest && ev.target.closest("[data-autosubmit]");
    // requestSubmit: the submit listeners below run, as for a click.
    if (el && el.form) el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  });
  // Every dashboard form says which account its page was shown for, so a form submitted after the
  // account was switched in another tab still acts in the account it shows (accounts/decorators.py).
  function account() {
    var meta = document.querySelector('meta[name="slotwise-account"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function forDashboard(action) {
    var url = new URL(action || window.location.href, window.location.href);
    return url.origin === window.location.origin && url.pathname.indexOf("/dashboard/") === 0 &&
      url.pathname !== "/dashboard/switch/";
  }
  document.addEventListener("submit", function (ev) {
    var form = ev.target, slug = account();
    if (!slug || (form.method || "").toLowerCase() !== "post" || form.elements.org) return;
    if (!forDashboard(form.getAttribute("action"))) return;
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "org"; input.value = slug;
    form.appendChild(input);
  }, true);
  document.addEventListener("htmx:configRequest", function (ev) {
    var slug = account();
    if (slug && ev.detail.verb !== "get" && forDashboard(ev.detail.path) && !ev.detail.parameters.org) {
      ev.detail.parameters.org = slug;
    }
  });
})();
