// Forms that must not lose what people type (CSP: served from 'self', no inline script).
// - data-warn-unsaved: warn before leaving the page with unsent input.
// - data-submit-once: a second click while sending does nothing (the server also refuses
//   duplicates by the form's submission token).
(function () {
  "use strict";
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = false;
    var sending = false;
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      sending = true;
      form.querySelectorAll("[data-submit-once]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-sending");
        button.textContent = "Sending…";
      });
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !sending) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
