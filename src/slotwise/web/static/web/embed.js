// Slotwise embed: <div data-slotwise-url="https://slotwise.example.com/acme/ana/intro/"></div>
// <script src="https://slotwise.example.com/static/web/embed.js" async></script>
// Puts the booking page in an iframe that grows to fit its content (the page posts its height).
(function () {
  document.querySelectorAll("[data-slotwise-url]").forEach(function (box) {
    if (box.querySelector("iframe")) return;
    var url = new URL(box.getAttribute("data-slotwise-url"), location.href);
    url.searchParams.set("embed", "1");
    var frame = document.createElement("iframe");
    frame.src = url.toString();
    frame.title = "Book a time";
    frame.style.cssText = "width:100%;min-width:320px;height:700px;border:0;overflow:hidden";
    frame.setAttribute("scrolling", "no");
    box.appendChild(frame);
    window.addEventListener("message", function (ev) {
      if (ev.source === frame.contentWindow && ev.origin === url.origin && ev.data && ev.data.slotwise === "resize") {
        frame.style.height = Math.ceil(ev.data.height) + "px";
      }
    });
  });
})();
