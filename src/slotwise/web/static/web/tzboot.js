// Runs in <head>, before the booking page paints. It remembers the browser's zone (a cookie the server
// reads on the next page, so that page is drawn in the right zone at once) and, when this page was drawn
// for another zone, hides the picker until booking.js has re-read it in the browser's zone: no flash of
// the host's times. booking.js lifts the veil after the swap, or after a few seconds whatever happens.
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  var bz = "";
  try { bz = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  if (!bz) return;
  document.cookie = "sw_bz=" + encodeURIComponent(bz) + "; path=/; max-age=31536000; SameSite=Lax";
  var meta = document.querySelector('meta[name="slotwise-zone"]');
  if (!meta) return;
  // An unknown ?tz= was drawn in UTC because the server did not know the browser's zone yet: redraw in it.
  var unknown = meta.getAttribute("data-unknown") === "1";
  if (meta.getAttribute("data-fixed") === "1" && !unknown) return;
  if (unknown || (meta.content !== bz && meta.getAttribute("data-browser") !== bz)) {
    root.classList.add("tz-pending");
    setTimeout(function () { root.classList.remove("tz-pending"); }, 4000);
  }
})();
