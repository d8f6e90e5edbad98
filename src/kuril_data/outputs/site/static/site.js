// Sorting and filtering of a kind's index (plain JavaScript, no library, works from file://). The
// filters and the sort are kept in the address (?kind=signing&year=1956&sort=date-desc), so a filtered
// list can be bookmarked, shared and restored.
(function () {
  "use strict";
  var table = document.getElementById("records");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var form = document.querySelector("[data-filters-for]");
  var count = form ? form.querySelector(".count") : null;

  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell.getAttribute("data-value") || cell.textContent.trim().toLowerCase();
  }

  var headers = table.tHead.rows[0].cells;
  function sortBy(index, descending) {
    var th = headers[index];
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      rows.sort(function (a, b) {
        var x = cellValue(a, index), y = cellValue(b, index);
        if (x === y) { return 0; }
        if (x === "") { return 1; }
        if (y === "") { return -1; }
        return (x < y ? -1 : 1) * (descending ? -1 : 1);
      });
      rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(headers, function (th, index) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      sortBy(index, th.getAttribute("aria-sort") === "ascending");
      remember();
    });
  });

  function sortName(th) { return th.textContent.trim().toLowerCase().replace(/\s+/g, "-"); }
  // Write the filters and the sort into the address, without reloading.
  function remember() {
    var url = new URL(window.location.href);
    var params = new URLSearchParams();
    if (form) {
      Array.prototype.forEach.call(form.querySelectorAll("select, input"), function (el) {
        var name = el.getAttribute("data-filter") || (el.hasAttribute("data-filter-year") ? "year" :
          el.hasAttribute("data-filter-actor") ? "actor" : el.hasAttribute("data-filter-text") ? "text" : null);
        if (name && el.value) { params.set(name, el.value); }
      });
    }
    Array.prototype.forEach.call(headers, function (th) {
      var s = th.getAttribute("aria-sort");
      if (s && !(th.hasAttribute("data-default-sort") && s === "ascending")) {
        params.set("sort", sortName(th) + (s === "descending" ? "-desc" : ""));
      }
    });
    url.search = params.toString();
    try { window.history.replaceState(null, "", url.toString()); } catch (e) { /* file:// in some browsers */ }
  }
  function restore() {
    var params = new URLSearchParams(window.location.search);
    if (form) {
      Array.prototype.forEach.call(form.querySelectorAll("select, input"), function (el) {
        var name = el.getAttribute("data-filter") || (el.hasAttribute("data-filter-year") ? "year" :
          el.hasAttribute("data-filter-actor") ? "actor" : el.hasAttribute("data-filter-text") ? "text" : null);
        if (name && params.has(name)) { el.value = params.get(name); }
      });
    }
    var sort = params.get("sort");
    if (sort) {
      var descending = /-desc$/.test(sort), name = sort.replace(/-desc$/, "");
      Array.prototype.forEach.call(headers, function (th, index) {
        if (th.querySelector("button") && sortName(th) === name) { sortBy(index, descending); }
      });
    }
  }

  function apply() {
    if (!form) { return; }
    var shown = 0;
    var selects = form.querySelectorAll("[data-filter]");
    var year = form.querySelector("[data-filter-year]");
    var actor = form.querySelector("[data-filter-actor]");
    var text = form.querySelector("[data-filter-text]");
    var y = year && year.value ? parseInt(year.value, 10) : null;
    var words = text && text.value ? text.value.toLowerCase().normalize("NFC").trim() : "";
    rows.forEach(function (row) {
      var ok = true;
      Array.prototype.forEach.call(selects, function (select) {
        var attr = "data-" + select.getAttribute("data-filter").replace(/_/g, "-");
        if (select.value && row.getAttribute(attr) !== select.value) { ok = false; }
      });
      if (ok && y !== null) {
        var y0 = row.getAttribute("data-y0"), y1 = row.getAttribute("data-y1");
        if (y0 === "" && y1 === "") { ok = false; }
        else if ((y0 !== "" && parseInt(y0, 10) > y) || (y1 !== "" && parseInt(y1, 10) < y)) { ok = false; }
      }
      if (ok && actor && actor.value) {
        ok = (" " + row.getAttribute("data-actors") + " ").indexOf(" " + actor.value + " ") >= 0;
      }
      if (ok && words) { ok = row.textContent.toLowerCase().normalize("NFC").indexOf(words) >= 0; }
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = shown + " of " + rows.length + " shown"; }
  }
  restore();
  if (form) {
    form.addEventListener("input", function () { apply(); remember(); });
    form.addEventListener("change", function () { apply(); remember(); });
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); remember(); });
    apply();
  }
}());
