// An upload job's page: poll its JSON twin and update each file's row and the summary until the
// job is 已完成. Without JavaScript the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var table = document.getElementById("job-files");
  var status = document.getElementById("job-status");
  var bar = document.getElementById("job-progress");
  if (!table || !status || status.getAttribute("data-state") === "已完成" || !window.fetch) {
    return;
  }
  var api = table.getAttribute("data-api");
  var FINAL = { "已入库": true, "已在库中": true, "失败": true };
  var rows = {};
  Array.prototype.forEach.call(table.querySelectorAll("tr.job-file"), function (tr) {
    rows[tr.getAttribute("data-seq")] = tr;
  });

  // Rows before the first unfinished one never change again: ask only for the rest.
  function firstOpen() {
    var seqs = Object.keys(rows).map(Number).sort(function (a, b) { return a - b; });
    for (var i = 0; i < seqs.length; i++) {
      if (!FINAL[rows[seqs[i]].getAttribute("data-state")]) { return seqs[i]; }
    }
    return seqs.length ? seqs[seqs.length - 1] + 1 : 1;
  }

  function cell(tr, name) { return tr.querySelector("td." + name); }

  function update(job) {
    job.files.forEach(function (f) {
      var tr = rows[String(f.seq)];
      if (!tr || tr.getAttribute("data-state") === f.state) { return; }
      tr.setAttribute("data-state", f.state);
      cell(tr, "state").textContent = f.state;
      cell(tr, "message").textContent = f.message || "";
      var report = cell(tr, "report");
      report.textContent = "";
      if (f.report_id) {
        var link = document.createElement("a");
        link.className = "report-link";
        link.href = "/reports/" + encodeURIComponent(f.report_id);
        link.textContent = "#" + f.report_id;
        report.appendChild(link);
      }
    });
    status.textContent = job.summary;
    status.setAttribute("data-state", job.state);
    if (bar) { bar.value = job.done; }
    return job.state !== "已完成";
  }

  function poll() {
    fetch(api + "?from_seq=" + firstOpen(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) { if (update(job)) { window.setTimeout(poll, 1000); } })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
