// Forms that must not lose what people type (CSP: served from 'self', no inline script).
// - data-warn-unsaved: warn before leaving the page with unsent input. A form that came back
//   from the server with what was typed (an error, a restored draft) carries data-unsaved and
//   counts as unsent from the start.
// - data-submit-once: a second click while sending does nothing (the server also refuses
//   duplicates by the form's submission token).
(function () {
  "use strict";
  document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
    var dirty = form.hasAttribute("data-unsaved");
    var sending = false;
    var buttons = form.querySelectorAll("[data-submit-once]");
    var labels = Array.prototype.map.call(buttons, function (b) { return b.textContent; });
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    form.addEventListener("submit", function (event) {
      if (sending) { event.preventDefault(); return; }
      sending = true;
      buttons.forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-sending");
        button.textContent = "Sending…";
      });
    });
    // Coming back with the Back button restores the page from cache: make it usable again.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) { return; }
      sending = false;
      buttons.forEach(function (button, i) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("is-sending");
        button.textContent = labels[i];
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
