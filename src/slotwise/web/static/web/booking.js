// The booking page: report the browser's zone (the only thing the browser decides; every time shown is
// computed on the server), the zone search field, and, when embedded, tell the parent page how tall we are.
(function () {
  var bz = "";
  try { bz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  var root = document.documentElement;
  function fill() {
    document.querySelectorAll("input[name=bz], input[name=browser_tz]").forEach(function (el) {
      if (!el.value) el.value = bz;
    });
  }
  fill();

  function form() { return document.getElementById("picker-form"); }
  function trigger() { var f = form(); if (f) htmx.trigger(f, "change"); }

  // After DOMContentLoaded, when htmx has bound the form's triggers.
  document.addEventListener("DOMContentLoaded", function () {
    var f = form();
    if (!f) return;
    setupZoneSearch(f);
    if (!root.classList.contains("tz-pending")) return;  // drawn for the browser's zone already (tzboot.js)
    var tz = f.querySelector("input[name=tz]");
    var meta = document.querySelector('meta[name="slotwise-zone"]');
    var unknown = meta && meta.getAttribute("data-unknown") === "1";  // keep the unknown name: the page says so
    if (tz && bz) { if (!unknown) tz.value = bz; trigger(); } else { root.classList.remove("tz-pending"); }
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    fill();
    root.classList.remove("tz-pending");
    var now = document.getElementById("zone-now"), tz = document.getElementById("tz");
    // The field shows the zone the times are in (an unknown name fell back to the browser's zone or UTC).
    if (now && tz && document.activeElement !== tz) tz.value = now.getAttribute("data-zone");
    var times = document.getElementById("times"), status = document.getElementById("picker-status");
    var config = (ev.detail && ev.detail.requestConfig) || {};
    var elt = config.elt, poll = config.headers && config.headers["X-Slotwise-Poll"];
    if (times && status && !poll) {
      status.textContent = times.getAttribute("data-summary") || "";
    }
    // A day picked: its times are next. On a phone they are below the calendar, so go there.
    if (elt && elt.classList && elt.classList.contains("day")) {
      // Only the times were redrawn (#times): mark the day in the calendar, and keep it in the form
      // for the next change of zone, duration or host, and for the poll.
      document.querySelectorAll(".cal a.day.selected").forEach(function (d) { d.classList.remove("selected"); });
      elt.classList.add("selected");
      var f = form(), date = f && f.querySelector("input[name=date]");
      if (f && !date) {
        date = document.createElement("input");
        date.type = "hidden";
        date.name = "date";
        f.querySelector("#picker").prepend(date);
      }
      if (date) date.value = elt.getAttribute("data-date");
      var heading = document.getElementById("times-heading");
      var phone = window.matchMedia("(max-width: 760px)").matches;
      if (heading) {
        if (phone) heading.scrollIntoView({ block: "start" });
        heading.focus({ preventScroll: true });
      }
    }
  });

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-clock]");
    var f = form();
    if (btn && f) {
      ev.preventDefault();
      f.querySelector("input[name=clock]").value = btn.dataset.clock;
      f.querySelectorAll("[data-clock]").forEach(function (b) {
        b.classList.toggle("on", b === btn);
        b.setAttribute("aria-pressed", b === btn ? "true" : "false");
      });
      trigger();
      return;
    }
    var change = ev.target.closest(".zone-change");
    if (change) {
      ev.preventDefault();
      var tz = document.getElementById("tz");
      tz.scrollIntoView({ block: "center" });
      tz.focus();
      tz.select();
    }
  });

  // The zone field as a combobox: suggestions from /zones/search as one types (the page carries no list
  // of zones). Without JavaScript it is a plain field; the server reads what was typed.
  function setupZoneSearch(f) {
    var input = document.getElementById("tz"), box = document.getElementById("zone-results");
    var status = document.getElementById("zone-status");
    if (!input || !box || !window.fetch) return;
    var timer = null, active = -1, asked = null, ctl = null;
    function options() { return box.querySelectorAll("[role=option]"); }
    function close() {
      box.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function show() {
      if (!box.innerHTML.trim()) return;
      box.hidden = false;
      input.setAttribute("aria-expanded", options().length ? "true" : "false");
    }
    function mark(i) {
      var o = options();
      if (!o.length) return;
      active = (i + o.length) % o.length;
      o.forEach(function (el, j) {
        el.setAttribute("aria-selected", j === active ? "true" : "false");
        el.classList.toggle("active", j === active);
      });
      input.setAttribute("aria-activedescendant", o[active].id);
      o[active].scrollIntoView({ block: "nearest" });
    }
    function choose(el) {
      input.value = el.getAttribute("data-zone");
      close();
      // the sentence in the page's language, from the field (booking_page.html): "Time zone {zone} chosen"
      status.textContent = (input.getAttribute("data-chosen") || "{zone}").replace("{zone}", input.value);
      trigger();
    }
    function search() {
      var q = input.value.trim();
      if (q === asked) { show(); return; }
      asked = q;
      if (ctl) ctl.abort();
      if (!q) { box.innerHTML = ""; close(); return; }
      ctl = new AbortController();
      var clock = f.querySelector("input[name=clock]");
      var url = input.getAttribute("data-search") + "?" + new URLSearchParams({
        q: q, hl: input.getAttribute("data-locale") || "", clock: clock ? clock.value : "" });
      fetch(url, { signal: ctl.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          box.innerHTML = html;
          var found = box.querySelector("#zone-found");
          status.textContent = found ? found.getAttribute("data-summary") : "";
          active = -1;
          if (document.activeElement === input) show();
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 150); });
    input.addEventListener("focus", function () { if (input.value.trim() && asked === input.value.trim()) show(); });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (box.hidden) show();
        mark(active + (ev.key === "ArrowDown" ? 1 : -1));
      } else if (ev.key === "Enter") {
        ev.preventDefault();  // the server reads a typed name: one match is used, anything else is said
        var o = options();
        if (!box.hidden && active >= 0 && o[active]) { choose(o[active]); } else { close(); trigger(); }
      } else if (ev.key === "Escape") {
        close();
      }
    });
    // Keep the focus in the field while an option is clicked, so no half-typed "change" goes out first.
    box.addEventListener("mousedown", function (ev) { ev.preventDefault(); });
    box.addEventListener("click", function (ev) {
      var el = ev.target.closest("[role=option]");
      if (el) choose(el);
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

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
