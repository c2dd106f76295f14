/* The appeal form shown again with errors: focus moves to the summary of what to correct, so that
   a screen reader announces it and the keyboard starts there (no inline script: CSP). */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
