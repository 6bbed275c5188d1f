// The reports page follows queued and running jobs without reloading.
(function () {
  "use strict";
  function follow(row) {
    fetch(row.getAttribute("data-report-status"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var status = row.querySelector(".report-status");
        status.textContent = job.status_label + (job.status === "running" ? " — " + job.progress + "%" : "");
        if (job.status === "done") {
          var cell = row.querySelector(".report-link");
          cell.textContent = "";
          var link = document.createElement("a");
          link.href = job.download;
          link.textContent = "Download PDF";
          cell.appendChild(link);
        } else if (job.status === "failed") {
          status.textContent += ": " + job.error;
        } else {
          window.setTimeout(function () { follow(row); }, 1500);
        }
      })
      .catch(function () { window.setTimeout(function () { follow(row); }, 5000); });
  }
  document.querySelectorAll("tr[data-following]").forEach(follow);
})();
