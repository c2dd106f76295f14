// The officials' pages: in-page anchors land below the sticky header (official.css reads
// --sticky-header-height; without this script a fixed height that covers it is used).
(function () {
  "use strict";
  var header = document.getElementById("krds-header");
  if (!header) return;
  function measure() {
    document.documentElement.style.setProperty("--sticky-header-height", header.offsetHeight + "px");
  }
  measure();
  window.addEventListener("resize", measure);
})();
