/* Staff pages: show only the period field of the chosen kind; sort tables by clicking a header. No inline JS (CSP). */
(function () {
  "use strict";

  function syncPeriodFields(select) {
    var form = select.form;
    var kind = select.value;
    form.querySelectorAll("[data-period-field]").forEach(function (field) {
      var on = field.getAttribute("data-period-field") === kind;
      field.hidden = !on;
      field.querySelectorAll("input").forEach(function (input) { input.disabled = !on; });
    });
  }

  document.querySelectorAll("[data-period-kind]").forEach(function (select) {
    syncPeriodFields(select);
    select.addEventListener("change", function () { syncPeriodFields(select); });
  });

  function cellValue(row, index, numeric) {
    var cell = row.children[index];
    var raw = cell ? (cell.getAttribute("data-sort") || cell.textContent.trim()) : "";
    if (!numeric) { return raw; }
    var n = parseFloat(raw);
    return isNaN(n) ? -Infinity : n;
  }

  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var numeric = th.querySelector("button").getAttribute("data-sort-key") === "num";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.children.length > 1; });
    rows.sort(function (a, b) {
      // Rows below the minimum sample always come last: a handful of replies is not a place in a ranking.
      var ia = a.hasAttribute("data-insufficient"), ib = b.hasAttribute("data-insufficient");
      if (ia !== ib) { return ia ? 1 : -1; }
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      var cmp = numeric ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return ascending ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortBy(table, th); }); }
    });
  });
})();
