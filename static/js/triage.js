// The triage page: ask the server for the recommendation as the facts change (no reload).
// Without JavaScript, the "Update recommendation" button does the same with a full page.
(function () {
  "use strict";
  var form = document.getElementById("facts-form");
  var target = document.getElementById("recommendation");
  if (!form || !target || !window.fetch) { return; }
  var timer = null;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  function refresh() {
    var data = new FormData(form);
    data.set("action", "preview");
    // getAttribute: the form's buttons are named "action", which shadows form.action.
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      headers: { "X-Preview": "1", "X-CSRFToken": token },
      credentials: "same-origin"
    }).then(function (response) {
      // 200: a recommendation; 400: the facts' problems. Anything else (an expired session, a
      // server error) must not replace the panel with an error page.
      if (response.status !== 200 && response.status !== 400) { throw new Error("" + response.status); }
      return response.text();
    }).then(function (html) {
      target.innerHTML = html;
    }).catch(function () {
      var note = document.getElementById("recommendation-stale");
      if (!note) {
        note = document.createElement("p");
        note.id = "recommendation-stale";
        note.className = "field-error";
        note.textContent = "Could not update the recommendation: press \u201cUpdate recommendation\u201d.";
        target.appendChild(note);
      }
    });
  }
  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, 250);
  }
  // Facts changed and not saved: the decision below is still about the saved assessment, so
  // signing waits until the facts are saved (the server renders it so without JavaScript too).
  var sign = document.getElementById("sign-decision");
  var notice = document.getElementById("facts-unsaved");
  function block() {
    if (!sign || !notice) { return; }
    notice.hidden = false;
    sign.disabled = true;
  }
  var decision = document.getElementById("decision-form");
  if (decision) {
    decision.addEventListener("submit", function (event) {
      if (sign && sign.disabled) { event.preventDefault(); }
    });
  }
  form.addEventListener("change", function () { block(); schedule(); });
  form.addEventListener("input", function () { block(); schedule(); });
})();
