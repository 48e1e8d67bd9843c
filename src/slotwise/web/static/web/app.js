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
  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (ev) {
    var el = ev.target.closest && ev.target.closest("[data-autosubmit]");
    if (el && el.form) el.form.submit();
  });
})();
