/* Long-running forms (spreadsheet upload, import confirmation): on submit, disable the submit
   buttons so a double click sends one request, and announce the wait in a live region. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-busy-message]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (form.dataset.submitted === "1") {
        return;
      }
      form.dataset.submitted = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.addEventListener("click", function (event) { event.preventDefault(); });
      });
      var status = form.querySelector("[data-busy-status]");
      if (status) {
        status.hidden = false;
        status.querySelector("[data-busy-text]").textContent = form.dataset.busyMessage;
      }
    });
  });
})();
