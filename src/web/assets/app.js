// Small behaviours of the pages, kept out of the HTML so that a CSP without
// 'unsafe-inline' scripts holds.
(function () {
  "use strict";
  // <form data-confirm="…">: ask before a destructive submit.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // <input type="checkbox" data-check-all="name">: ticks every box of that name.
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-check-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
      b.checked = box.checked;
    });
  });
  // <button data-fill-target="form-id" data-vehicle=… data-date=… data-session=…>: the booking
  // grid fills the booking form with the session picked.
  document.addEventListener("click", function (event) {
    var cell = event.target.closest && event.target.closest("[data-fill-target]");
    if (!cell) return;
    var form = document.getElementById(cell.getAttribute("data-fill-target"));
    if (!form) return;
    ["vehicle_id", "date", "session"].forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input) input.value = cell.getAttribute("data-" + name.replace("_id", ""));
    });
    var label = form.querySelector("[data-picked]");
    if (label) label.textContent = cell.getAttribute("data-label");
    document.querySelectorAll(".slot.picked").forEach(function (c) { c.classList.remove("picked"); });
    cell.classList.add("picked");
    var expected = form.querySelector('[name="expected_donors"]');
    if (expected) expected.focus();
  });
})();
