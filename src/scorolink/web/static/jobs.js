// The add-job form shows the settings of the chosen operation only (without JavaScript: all of them;
// the server reads the chosen operation's).
(function () {
  "use strict";
  var select = document.getElementById("operation");
  if (!select) { return; }
  function show() {
    document.querySelectorAll(".op-params").forEach(function (set) {
      set.hidden = set.getAttribute("data-operation") !== select.value;
    });
  }
  select.addEventListener("change", show);
  show();
}());
