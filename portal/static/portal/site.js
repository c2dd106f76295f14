/* Tables wider than the screen (KRDS .krds-table-wrap scrolls sideways): the scrolling box becomes
   a named region that takes keyboard focus (arrow keys scroll it; WCAG 2.1.1) and shows a hint
   that more columns lie to the side. Re-checked when the window changes size. */
(function () {
  "use strict";
  var hint = document.body.getAttribute("data-scroll-hint") || "";

  function label(wrap) {
    var caption = wrap.querySelector("caption");
    var text = caption ? caption.textContent.replace(/\s+/g, " ").trim() : "";
    return text ? text + " — " + hint : hint;
  }

  function update() {
    document.querySelectorAll(".krds-table-wrap").forEach(function (wrap) {
      var scrollable = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("is-scrollable", scrollable);
      if (scrollable) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", label(wrap));
        wrap.setAttribute("data-hint", hint);
      } else if (wrap.getAttribute("role") === "region") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }

  update();
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 150);
  });
})();
