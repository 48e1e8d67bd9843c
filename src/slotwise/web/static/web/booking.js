// The booking page: report the browser's zone (the only thing the browser decides; every time shown is
// computed on the server), and, when embedded, tell the parent page how tall we are.
(function () {
  var bz = "";
  try { bz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  function fill() {
    document.querySelectorAll("input[name=bz], input[name=browser_tz]").forEach(function (el) {
      if (!el.value) el.value = bz;
    });
  }
  fill();
  document.addEventListener("htmx:afterSwap", fill);
  // After DOMContentLoaded, when htmx has bound the form's triggers.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("picker-form");
    if (!form || !bz || new URLSearchParams(location.search).get("tz") || form.dataset.rescheduling === "1") return;
    var tz = form.querySelector("input[name=tz]");
    if (tz && tz.value !== bz) { tz.value = bz; htmx.trigger(form, "change"); }
  });
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-clock]");
    var f = document.getElementById("picker-form");
    if (!btn || !f) return;
    ev.preventDefault();
    f.querySelector("input[name=clock]").value = btn.dataset.clock;
    htmx.trigger(f, "change");
  });
  if (window.parent !== window) {
    var last = 0;
    var send = function () {
      var h = document.documentElement.offsetHeight;  // content height: lets the frame shrink too
      if (h !== last) { last = h; window.parent.postMessage({ slotwise: "resize", height: h }, "*"); }
    };
    new ResizeObserver(send).observe(document.body);
    document.addEventListener("htmx:afterSettle", send);
    send();
  }
})();
