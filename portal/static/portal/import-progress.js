/* The progress of a long import (upload → preview, or the confirmation), while its request runs.
   The form carries data-progress-url (with a placeholder id) and a hidden "progress" input holding
   the id of the progress record the importing request writes (proposals/importing/progress.py).
   On submit the page shows the form's data-busy-message, polls that record about once a second and
   shows the phase and the rows read of the total in a <progress> bar; a screen reader hears each
   new phase once. The form is sent as usual (portal/forms.js keeps a second click from sending
   it twice): without JavaScript the page simply waits for the answer. */
(function () {
  "use strict";
  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var INTERVAL = 1000;

  function start(form) {
    var input = form.querySelector("input[name=progress]");
    var box = form.querySelector("[data-import-progress]");
    if (!input || !input.value || !box) {
      return;
    }
    var url = form.dataset.progressUrl.replace(PLACEHOLDER, encodeURIComponent(input.value));
    var bar = box.querySelector("[data-progress-bar]");
    var text = box.querySelector("[data-progress-text]");
    var phaseText = box.querySelector("[data-progress-phase]");
    var lastPhase = null;
    box.querySelector("[data-progress-message]").textContent = form.dataset.busyMessage || "";
    phaseText.textContent = form.dataset.busyMessage || "";
    box.hidden = false;

    function show(state) {
      text.textContent = state.text;
      if (state.phase === "reading" && state.total) {
        bar.max = state.total;
        bar.value = Math.min(state.read, state.total);
      } else if (state.phase === "checking" || state.phase === "done") {
        bar.max = 1;
        bar.value = 1;
      } else {
        bar.removeAttribute("value"); /* indeterminate: waiting, opening, writing */
      }
      if (state.phase !== lastPhase) {
        lastPhase = state.phase;
        phaseText.textContent = state.text;
      }
    }

    function poll() {
      fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (state) {
            show(state);
          }
          if (!state || state.phase !== "done") {
            window.setTimeout(poll, INTERVAL);
          }
        })
        .catch(function () { window.setTimeout(poll, INTERVAL * 2); });
    }
    window.setTimeout(poll, INTERVAL / 4);
  }

  document.querySelectorAll("form[data-progress-url]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented || form.dataset.progressStarted === "1") {
        return;
      }
      form.dataset.progressStarted = "1";
      start(form);
    });
  });
})();
