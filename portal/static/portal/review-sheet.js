/* The reviewer's scoresheet (portal/review/sheet.html), on top of a page that works without it:

   - the error summary of a refused save: focus on the first field it names, and each of its
     links moves the focus to its field (scrolled clear of the sticky header and total);
   - autosave: a few seconds after the last change, the form is sent in the background to the
     autosave URL (the same form and service as "Save draft"; JSON answer). On success the page
     takes the sheet's new version, so that the next save is not refused as made elsewhere,
     while a save from another tab or device still is. A refusal (made elsewhere, closed, busy,
     an invalid entry) is said in the status line, with each field's message next to the field,
     and every value stays as typed. Nothing reloads; the scroll position does not move;
   - leaving a changed sheet asks first: the site's own links open a dialog (save and leave,
     leave without saving, stay); a reload, closing the tab or another address, the browser's
     own question (beforeunload). Links that do not leave the sheet (a download, a new window,
     the proposal's documents, an anchor on the page) go as they are.

   The submitted sheet page uses only the print button. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print][hidden]").forEach(function (button) {
    button.hidden = false; // print.js handles the click; without scripts there is no button
  });

  // --- the error summary -------------------------------------------------------------------

  function focusField(field) {
    var group = field.closest(".form-group") || field;
    field.focus({ preventScroll: true });
    group.scrollIntoView({ block: "center" });
  }

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        focusField(field);
      }
    });
    var first = summary.querySelector("a[href^='#']");
    var firstField = first && document.getElementById(first.getAttribute("href").slice(1));
    if (firstField) {
      focusField(firstField);
    } else {
      summary.focus();
    }
  }

  // --- autosave ----------------------------------------------------------------------------

  var form = document.querySelector("form[data-autosave-url]");
  if (!form) {
    return;
  }
  var DELAY = 3000; // after the last change
  var RETRY = 15000; // after a failure that may pass (busy, offline)
  var url = form.dataset.autosaveUrl;
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=version]");
  var tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var confirmBox = form.querySelector("input[name=confirm_final]");
  var IGNORED = { csrfmiddlewaretoken: true, version: true, action: true, confirm_final: true };

  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (!IGNORED[name]) {
        parts.push(name + "=" + value);
      }
    });
    return parts.join("\u0000");
  }

  // What the server holds: the page as rendered, unless it came back from a refused save.
  var saved = form.hasAttribute("data-unsaved") ? null : snapshot();
  var stopped = form.hasAttribute("data-autosave-stopped"); // made elsewhere: the person decides
  var lastSaved = { text: status.textContent, kind: "" };
  var timer = null;
  var inFlight = null;
  var submitting = false;
  var leaving = false;

  function dirty() {
    return snapshot() !== saved;
  }

  function say(text, kind) {
    status.textContent = text;
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-saved", kind === "saved");
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  // Field messages. A message stays until its field changes: a saved draft does not mean that a
  // point missing for the submission is there now.
  form.querySelectorAll("input[data-score-points][aria-invalid]").forEach(function (input) {
    input.dataset.erroredValue = input.value;
  });

  function clearFieldErrors(onlyChanged) {
    form.querySelectorAll("input[data-score-points][aria-invalid]").forEach(function (input) {
      if (onlyChanged && input.value === input.dataset.erroredValue) {
        return;
      }
      var message = document.getElementById(input.dataset.errorId);
      if (message) {
        message.remove();
      }
      input.removeAttribute("aria-invalid");
      input.setAttribute(
        "aria-describedby",
        (input.getAttribute("aria-describedby") || "")
          .split(" ")
          .filter(function (id) { return id && id !== input.dataset.errorId; })
          .join(" ")
      );
      input.closest(".form-conts").classList.remove("is-error");
      dropFromSummary(input.id);
    });
  }

  function showFieldError(item) {
    var input = item.field && document.getElementById(item.field);
    if (!input || !input.dataset.errorId) {
      return;
    }
    var message = document.getElementById(input.dataset.errorId);
    if (!message) {
      message = document.createElement("p");
      message.className = "form-hint-invalid";
      message.id = input.dataset.errorId;
      input.closest(".form-group").querySelector(".form-hint").insertAdjacentElement("afterend", message);
      input.setAttribute("aria-describedby", input.getAttribute("aria-describedby") + " " + message.id);
    }
    message.textContent = item.message;
    input.setAttribute("aria-invalid", "true");
    input.dataset.erroredValue = input.value;
    input.closest(".form-conts").classList.add("is-error");
  }

  function dropFromSummary(fieldId) {
    if (!summary) {
      return;
    }
    var item = summary.querySelector("li[data-error-for='" + fieldId + "']");
    if (item) {
      item.remove();
    }
    if (!summary.querySelector("li")) {
      summary.remove();
      summary = null;
    }
  }

  function answered(response, sent) {
    if (response.type === "opaqueredirect") {
      return say(form.dataset.messageSignedOut, "error"); // to the sign-in page
    }
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      return say(response.status === 403 ? form.dataset.messageSignedOut : form.dataset.messageFailed, "error");
    }
    return response.json().then(function (answer) {
      if (answer.status === "saved") {
        versionInput.value = String(answer.version);
        saved = sent;
        form.removeAttribute("data-unsaved");
        clearFieldErrors(true);
        lastSaved = { text: answer.message, kind: "saved" };
        say(answer.message, "saved");
        return;
      }
      say(answer.message, "error");
      if (answer.status === "invalid") {
        clearFieldErrors(true);
        (answer.errors || []).forEach(showFieldError);
      } else if (answer.status === "busy") {
        schedule(RETRY);
      } else {
        stopped = true; // made elsewhere, closed, submitted: only the person can decide
      }
    });
  }

  // Send the form now if it changed; resolves once the answer is handled (saved or not).
  function save() {
    window.clearTimeout(timer);
    timer = null;
    if (inFlight) {
      return inFlight.then(save);
    }
    var sent = snapshot();
    if (stopped || submitting) {
      return Promise.resolve();
    }
    if (sent === saved) {
      // Back to what the server holds (an invalid entry undone): nothing to send.
      clearFieldErrors(true);
      say(lastSaved.text, lastSaved.kind);
      return Promise.resolve();
    }
    var body = new FormData(form);
    body.set("action", "draft");
    body.delete("confirm_final");
    say(form.dataset.messageSaving, "");
    inFlight = fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": tokenInput.value, Accept: "application/json" },
    })
      .then(function (response) { return answered(response, sent); })
      .catch(function () {
        say(form.dataset.messageOffline, "error");
        schedule(RETRY);
      })
      .then(function () {
        inFlight = null;
        if (!stopped && !timer && dirty()) {
          schedule(DELAY); // typed while the answer was on its way
        }
      });
    return inFlight;
  }

  form.addEventListener("input", function (event) {
    if (event.target === confirmBox) {
      return;
    }
    if (!stopped) {
      if (!timer && !inFlight) {
        say(form.dataset.messageChanged, "");
      }
      schedule(DELAY);
    }
  });

  if (confirmBox) {
    confirmBox.addEventListener("change", function () {
      if (confirmBox.checked) {
        var group = confirmBox.closest(".form-group");
        group.classList.remove("is-error");
        confirmBox.removeAttribute("aria-invalid");
        var message = document.getElementById("confirm-final-error");
        if (message) {
          message.remove();
          confirmBox.removeAttribute("aria-describedby");
        }
        dropFromSummary(confirmBox.id);
      }
    });
  }

  // A page that came back from a refused save holds unsaved values: save them soon.
  if (saved === null && !stopped) {
    schedule(DELAY);
  }

  // The form's own buttons: wait for a background save on its way, so the form carries the
  // version it returns (a capture listener: before forms.js marks the form as sent).
  form.addEventListener(
    "submit",
    function (event) {
      if (inFlight) {
        event.preventDefault();
        event.stopImmediatePropagation();
        var submitter = event.submitter;
        inFlight.then(function () {
          submitting = true;
          form.requestSubmit(submitter);
        });
        return;
      }
      window.clearTimeout(timer);
      timer = null;
      submitting = true;
    },
    true
  );

  // --- leaving a changed sheet -------------------------------------------------------------

  function unsaved() {
    return !submitting && !leaving && (dirty() || inFlight !== null);
  }

  window.addEventListener("beforeunload", function (event) {
    if (unsaved()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  var dialog = document.getElementById("leave-dialog");
  var dialogStatus = dialog.querySelector("[data-leave-status]");
  var destination = null;

  function leave() {
    leaving = true;
    window.location.assign(destination);
    // A download does not unload the page: guard it again once the browser has taken it.
    window.setTimeout(function () { leaving = false; }, 3000);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.altKey || link.target === "_blank" || link.hasAttribute("download") ||
        link.closest("[data-documents]")) { // the proposal's documents open or download beside the sheet
      return;
    }
    var target = new URL(link.href, window.location.href);
    var samePage = target.origin === window.location.origin && target.pathname === window.location.pathname &&
      target.search === window.location.search;
    if ((samePage && target.hash) || !unsaved()) {
      return;
    }
    event.preventDefault();
    destination = target.href;
    dialogStatus.textContent = "";
    dialog.showModal();
  });

  dialog.addEventListener("click", function (event) {
    var button = event.target.closest("[data-leave]");
    if (!button) {
      return;
    }
    var choice = button.dataset.leave;
    if (choice === "stay") {
      dialog.close();
    } else if (choice === "discard") {
      leave();
    } else {
      dialogStatus.textContent = form.dataset.messageSaving;
      var wasStopped = stopped;
      stopped = false; // asked to save: try even after a refusal, to say why it fails
      save().then(function () {
        if (!dirty() && !inFlight) {
          leave();
        } else {
          stopped = stopped || wasStopped;
          dialogStatus.textContent = status.textContent;
        }
      });
    }
  });
})();
