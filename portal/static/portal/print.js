/* The "Print" button of the public results page: no inline handler, so the content security
   policy can forbid inline scripts. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
