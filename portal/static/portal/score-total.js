/* Scoresheet: the running total of the points typed so far (progressive enhancement; the
   server computes and shows the same total on every page it renders). Sums in hundredths so
   that 0.1 + 0.2 stays 0.3; fields that are not numbers are left out, as on the server. */
(function () {
  "use strict";
  function hundredths(text) {
    var value = String(text).trim();
    if (!/^\d+(\.\d{1,2})?$/.test(value)) {
      return null;
    }
    var parts = value.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function format(cents) {
    var whole = Math.floor(cents / 100);
    var rest = cents % 100;
    if (rest === 0) {
      return String(whole);
    }
    return whole + "." + (rest < 10 ? "0" + rest : String(rest)).replace(/0$/, "");
  }
  document.querySelectorAll("form[data-score-form]").forEach(function (form) {
    var output = form.querySelector("[data-score-total]");
    var inputs = form.querySelectorAll("input[data-score-points]");
    if (!output || !inputs.length) {
      return;
    }
    function update() {
      var sum = 0;
      inputs.forEach(function (input) {
        var cents = hundredths(input.value);
        if (cents !== null) {
          sum += cents;
        }
      });
      output.textContent = format(sum);
    }
    inputs.forEach(function (input) {
      input.addEventListener("input", update);
    });
    update();
  });
})();
