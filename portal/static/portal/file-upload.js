/* KRDS file upload (templates portal/includes/file_upload.html): the visually hidden file input
   keeps keyboard focus and its label; this shows the chosen file's name and size (announced by the
   list's live region), lets a file be dropped on the zone, removes a choice, and warns at once
   when the file is over the size limit (the server checks it again). Texts come from data-text-*
   attributes, in the page's language. Without this script the browser's own input is shown. */
(function () {
  "use strict";

  function size(bytes, lang) {
    var units = ["B", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    var digits = unit === 0 || value >= 100 ? 0 : 1;
    return value.toLocaleString(lang, {maximumFractionDigits: digits}) + " " + units[unit];
  }

  function extension(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  }

  function enhance(box) {
    var input = box.querySelector("input[type=file]");
    var zone = box.querySelector("[data-file-drop]");
    var none = box.querySelector("[data-file-none]");
    var list = box.querySelector("[data-file-list]");
    var text = box.dataset;
    var maxBytes = parseInt(text.maxBytes, 10) || 0;
    var lang = document.documentElement.lang || "ko";
    var serverInvalid = input.getAttribute("aria-invalid") === "true";

    function render() {
      list.textContent = "";
      var file = input.files && input.files[0];
      if (!file) {
        list.hidden = true;
        none.hidden = false;
        if (!serverInvalid) {
          input.removeAttribute("aria-invalid");
        }
        return;
      }
      serverInvalid = false;
      var tooLarge = maxBytes && file.size > maxBytes;
      var item = document.createElement("li");
      if (tooLarge) {
        item.className = "is-error";
      }
      var info = document.createElement("div");
      info.className = "file-info";
      var name = document.createElement("div");
      name.className = "file-name";
      var label = document.createElement("span");
      label.className = "sr-only";
      label.textContent = text.textChosen + ": ";
      name.appendChild(label);
      name.appendChild(document.createTextNode(file.name));
      var details = document.createElement("span");
      details.className = "file-size";
      details.textContent = "[" + (extension(file.name) || "?") + ", " + size(file.size, lang) + "]";
      var actions = document.createElement("div");
      actions.className = "btn-wrap";
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "krds-btn small tertiary";
      remove.textContent = text.textRemove;
      remove.setAttribute("aria-label", file.name + " " + text.textRemove);
      remove.addEventListener("click", function () {
        input.value = "";
        render();
        none.textContent = text.textRemoved + " " + text.textNone;
        input.focus();
      });
      actions.appendChild(remove);
      info.appendChild(name);
      info.appendChild(details);
      info.appendChild(actions);
      item.appendChild(info);
      if (tooLarge) {
        var hint = document.createElement("p");
        hint.className = "file-hint-invalid";
        hint.textContent = text.textTooLarge;
        item.appendChild(hint);
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
      list.appendChild(item);
      none.hidden = true;
      none.textContent = text.textNone;
      list.hidden = false;
    }

    input.addEventListener("change", render);
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("active");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("active");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("active");
      if (event.dataTransfer && event.dataTransfer.files.length) {
        var one = new DataTransfer(); /* the field takes one file: the first dropped */
        one.items.add(event.dataTransfer.files[0]);
        input.files = one.files;
        render();
      }
    });
    box.classList.add("is-enhanced");
    render();
  }

  document.querySelectorAll("[data-file-upload]").forEach(enhance);
})();
