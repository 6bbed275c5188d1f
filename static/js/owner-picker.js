// The owner list of an action (select[data-owner-picker]), made searchable (CSP: served from
// 'self', no inline script). Without this script it is a plain <select> grouped by business
// unit. With it, a search box above the list narrows it as one types: every word typed must
// appear in the person's name, username or business unit (accents and case ignored). The list
// shows several rows at once, so the narrowing is seen; arrow keys choose in it. In the search
// box, Down arrow (or Enter) moves to the list, choosing the first person shown if nobody is.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function enhance(select) {
    var emptyOption = select.querySelector("option[value='']");
    // The people, as the server grouped them; the list is rebuilt from these on each filter.
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
      return {
        label: group.label,
        options: Array.prototype.map.call(group.querySelectorAll("option"), function (option) {
          return {
            node: option,
            text: fold(option.textContent + " " + option.value + " " + group.label),
          };
        }),
      };
    });
    var total = groups.reduce(function (n, g) { return n + g.options.length; }, 0);

    var wrapper = document.createElement("div");
    wrapper.className = "owner-search";
    var label = document.createElement("label");
    label.htmlFor = select.id + "_search";
    label.textContent = "Search by name or business unit";
    var input = document.createElement("input");
    input.type = "search";
    input.id = select.id + "_search";
    input.autocomplete = "off";
    input.setAttribute("enterkeyhint", "next");
    input.setAttribute("aria-controls", select.id);
    var status = document.createElement("p");
    status.className = "meta owner-search-status";
    status.id = select.id + "_search_status";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", status.id);
    wrapper.appendChild(label);
    wrapper.appendChild(input);
    wrapper.appendChild(status);
    select.parentNode.insertBefore(wrapper, select);

    // A list of several rows: what the search leaves is in view. Nobody is chosen until a
    // person is picked (the empty choice is not a row of its own).
    var nobody = select.value === "";
    if (emptyOption) { emptyOption.remove(); }
    select.size = Math.max(2, Math.min(6, total + groups.length));
    if (nobody) { select.selectedIndex = -1; }

    function shown() {
      return select.querySelectorAll("option").length;
    }

    function narrow() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var chosen = select.value;
      var fragment = document.createDocumentFragment();
      groups.forEach(function (group) {
        var matching = group.options.filter(function (o) {
          // The person already chosen stays listed, so a search never unchooses silently.
          return o.node.value === chosen || words.every(function (w) { return o.text.indexOf(w) !== -1; });
        });
        if (!matching.length) { return; }
        var optgroup = document.createElement("optgroup");
        optgroup.label = group.label;
        matching.forEach(function (o) { optgroup.appendChild(o.node); });
        fragment.appendChild(optgroup);
      });
      select.replaceChildren(fragment);
      if (chosen) { select.value = chosen; } else { select.selectedIndex = -1; }
      var count = shown();
      if (!words.length) {
        status.textContent = total + (total === 1 ? " person" : " people") + " can see this incident.";
      } else if (!count) {
        status.textContent = "Nobody matches “" + input.value.trim() + "”.";
      } else {
        status.textContent = count + " of " + total + (total === 1 ? " person" : " people") + " shown.";
      }
    }

    function toList() {
      if (!shown()) { return; }
      if (select.selectedIndex < 0) {
        select.selectedIndex = 0;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      select.focus();
    }

    input.addEventListener("input", function (event) {
      // A search is not input to keep: it does not make the form "unsaved" (forms.js).
      event.stopPropagation();
      narrow();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "Enter") {
        // Enter in the search box never sends the form half-filled.
        event.preventDefault();
        toList();
      }
    });
    narrow();
  }

  document.querySelectorAll("select[data-owner-picker]").forEach(enhance);
})();
