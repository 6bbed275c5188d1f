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
    fetch(form.action || window.location.pathname, {
      method: "POST",
      body: data,
      headers: { "X-Preview": "1", "X-CSRFToken": token },
      credentials: "same-origin"
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      target.innerHTML = html;
    }).catch(function () { /* keep the last recommendation on a network error */ });
  }
  function schedule() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(refresh, 250);
  }
  form.addEventListener("change", schedule);
  form.addEventListener("input", schedule);
})();
