document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  ev.preventDefault();
  var text = btn.getAttribute("data-copy");
  // Say what happened, also to screen readers (role=status), and never claim a copy that failed.
  var say = function (words) {
    var t = btn.getAttribute("data-label") || btn.textContent;
    btn.setAttribute("data-label", t); btn.textContent = words; btn.setAttribute("role", "status");
    setTimeout(function () { btn.textContent = t; btn.removeAttribute("role"); }, 2000);
  };
  var ok = function () { say("Copied ✓"); };
  var failed = function () { say("Copy failed: " + text); };
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(ok, failed); }
  else { var ta = document.createElement("textarea"); ta.value = text; document.body.appendChild(ta); ta.select();
    var copied = false; try { copied = document.execCommand("copy"); } catch (e) {} ta.remove();
    if (copied) { ok(); } else { failed(); } }
});

// Round-robin settings only matter for team events: while creating one, show them once a team owns it.
(function () {
  var owner = document.getElementById("f_owner");
  var block = document.querySelector("[data-team-only]");
  if (!owner || !block) return;
  var sync = function () { block.hidden = owner.value.indexOf("team:") !== 0; };
  owner.addEventListener("change", sync);
  sync();
})();
