/* Proposal documents beside the reviewer's sheet (templates/portal/review/_documents.html).
   On a wide screen a PDF opens in a panel on the right half of the window, the page moving left
   to make room, so the reviewer reads and scores side by side; the frame loads only when asked
   (each opening is recorded). Narrow screens keep the "new window" link: phones do not show PDFs
   in a frame. */
(function () {
  "use strict";
  var section = document.querySelector("[data-documents]");
  var viewer = document.getElementById("document-viewer");
  if (!section || !viewer) {
    return;
  }
  var frame = viewer.querySelector("[data-document-viewer-frame]");
  var title = document.getElementById("document-viewer-title");
  var buttons = section.querySelectorAll("[data-document-viewer]");
  var wide = window.matchMedia("(min-width: 1024px)");
  var current = null;

  function close() {
    viewer.hidden = true;
    document.body.classList.remove("document-viewer-open");
    frame.removeAttribute("src");
    buttons.forEach(function (button) { button.setAttribute("aria-expanded", "false"); });
    if (current) {
      current.focus();
      current = null;
    }
  }

  function open(button) {
    buttons.forEach(function (other) { other.setAttribute("aria-expanded", String(other === button)); });
    current = button;
    title.textContent = button.dataset.documentTitle;
    frame.title = button.dataset.documentTitle;
    // The browser's own viewer, without its thumbnail column (the panel is half the window).
    frame.src = button.dataset.documentViewer + "#navpanes=0";
    viewer.hidden = false;
    document.body.classList.add("document-viewer-open");
    title.focus();
  }

  function fit() {
    buttons.forEach(function (button) { button.hidden = !wide.matches; });
    if (!wide.matches && !viewer.hidden) {
      close();
    }
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      if (current === button) {
        close();
      } else {
        open(button);
      }
    });
  });
  viewer.querySelector("[data-document-viewer-close]").addEventListener("click", close);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !viewer.hidden) {
      close();
    }
  });
  wide.addEventListener("change", fit);
  fit();
})();
