// Live progress of one run: listens to the run's server-sent events and updates the page in place.
(function () {
  "use strict";
  var section = document.getElementById("progress");
  if (!section || !window.EventSource) { return; }
  var log = document.getElementById("run-log");
  var url = section.getAttribute("data-events") + "?after=" + (log.getAttribute("data-lines") || "0");
  var source = new EventSource(url);
  var status = document.getElementById("live-status");
  function text(id, value) { document.getElementById(id).textContent = value; }
  function cell(row, value) { var td = document.createElement("td"); td.textContent = value; row.appendChild(td); return td; }
  status.textContent = "Live: updates arrive as the run goes.";
  source.addEventListener("progress", function (e) {
    var p = JSON.parse(e.data);
    var hint = document.getElementById("queued-hint");
    if (hint && p.slices) { hint.remove(); }
    var state = document.getElementById("run-state");
    state.textContent = p.state;
    state.className = "state state-" + p.state;
    text("run-objects", p.objects_done + " of " + (p.objects_total || "?"));
    var bar = document.getElementById("run-bar");
    bar.max = p.objects_total || 1; bar.value = p.objects_done;
    text("run-requests", p.requests);
    text("run-slices", p.slices);
    text("run-counts", Object.keys(p.counts).map(function (k) { return k + " " + p.counts[k]; }).join(", "));
    text("run-error", p.error || "none");
    var done = document.getElementById("run-done");
    done.textContent = "";
    p.done.forEach(function (d) {
      var row = document.createElement("tr");
      [d.object, d.mode, d.read, d.rows, d.deleted, d.requests, d.error || ""].forEach(function (v) { cell(row, v); });
      done.appendChild(row);
    });
  });
  source.addEventListener("log", function (e) {
    var line = JSON.parse(e.data);
    var row = document.createElement("tr");
    cell(row, line.at.slice(11, 19));
    cell(row, line.level);
    var pre = document.createElement("pre"); pre.textContent = line.message;
    cell(row, "").appendChild(pre);
    log.appendChild(row);
  });
  source.addEventListener("end", function (e) {
    status.textContent = "Finished: " + JSON.parse(e.data).state + ".";
    source.close();
    var hint = document.getElementById("queued-hint");
    if (hint) { hint.remove(); }
    // an integration's run: its result (a preview's plan, what was written) replaces the placeholder
    var result = document.getElementById("run-result");
    if (result && result.getAttribute("data-src")) {
      fetch(result.getAttribute("data-src"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { result.innerHTML = html; result.removeAttribute("data-src"); })
        .catch(function () { status.textContent += " Reload to see the result."; });
    }
  });
  source.onerror = function () { status.textContent = "Live updates interrupted; reload to reconnect."; };
}());
