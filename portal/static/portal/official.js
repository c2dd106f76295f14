// The officials' pages.
(function () {
  "use strict";

  // In-page anchors land below the sticky header: official.css reads --sticky-header-height
  // (without this script a fixed height that covers it is used).
  var header = document.getElementById("krds-header");
  function measure() {
    if (header) {
      document.documentElement.style.setProperty("--sticky-header-height", header.offsetHeight + "px");
    }
  }

  // A table wider than the screen scrolls sideways: keyboard users reach it with Tab and scroll
  // it with the arrow keys, and screen readers announce it by its caption (WCAG 2.1.1).
  function scrollable() {
    var wraps = document.querySelectorAll(".krds-table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute("tabindex")) {
        var caption = wrap.querySelector("caption");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (caption) wrap.setAttribute("aria-label", caption.textContent.trim());
        wrap.dataset.scrollRegion = "1";
      } else if (!scrolls && wrap.dataset.scrollRegion) {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
        delete wrap.dataset.scrollRegion;
      }
    }
  }

  function update() {
    measure();
    scrollable();
  }
  update();
  window.addEventListener("resize", update);
})();
