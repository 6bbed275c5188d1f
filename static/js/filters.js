// Filter forms: leave empty fields out of the URL, so a bookmarked or shared view carries
// only the filters that are really on.
(function () {
  "use strict";
  document.querySelectorAll("form[data-drop-empty]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        var empty = field.multiple
          ? Array.prototype.every.call(field.options, function (o) { return !o.selected; })
          : field.value === "";
        if (empty && field.name) { field.disabled = true; }
      });
    });
  });
})();
