// Search every record offline: the index (search-index.js) holds each record's text, normalised as the
// builder does it (NFC, lower case, white space collapsed). A query matches as a phrase, else when every
// word occurs; matching is by substring, so Thai (written without spaces) and word parts are found.
(function () {
  "use strict";
  var index = window.KURIL_SEARCH || [];
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var MAX = 200;

  function normalise(text) { return text.normalize("NFC").toLowerCase().split(/\s+/).filter(Boolean).join(" "); }

  function snippet(text, term) {
    var at = text.indexOf(term);
    if (at < 0) { return null; }
    var start = Math.max(0, at - 80), end = Math.min(text.length, at + term.length + 80);
    var span = document.createElement("span");
    span.appendChild(document.createTextNode((start > 0 ? "…" : "") + text.slice(start, at)));
    var mark = document.createElement("mark");
    mark.textContent = text.slice(at, at + term.length);
    span.appendChild(mark);
    span.appendChild(document.createTextNode(text.slice(at + term.length, end) + (end < text.length ? "…" : "")));
    return span;
  }

  function run(query) {
    var q = normalise(query);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!q) { return; }
    var words = q.split(" ");
    var phrase = [], all = [];
    index.forEach(function (entry) {
      var text = entry[4];
      if (text.indexOf(q) >= 0) { phrase.push(entry); }
      else if (words.length > 1 && words.every(function (w) { return text.indexOf(w) >= 0; })) { all.push(entry); }
    });
    var found = phrase.concat(all);
    status.textContent = found.length + (found.length === 1 ? " record" : " records") + " found for “" + query + "”" +
      (found.length > MAX ? " (the first " + MAX + " shown)" : "") + ".";
    found.slice(0, MAX).forEach(function (entry) {
      var li = document.createElement("li");
      li.className = "result";
      var a = document.createElement("a");
      a.href = entry[0];
      a.textContent = entry[2];
      if (entry[5]) { a.lang = entry[5]; }
      li.appendChild(a);
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = entry[1] + (entry[3] ? " · " + entry[3] : "");
      li.appendChild(meta);
      var s = snippet(entry[4], entry[4].indexOf(q) >= 0 ? q : words[0]);
      if (s) { var p = document.createElement("p"); p.appendChild(s); li.appendChild(p); }
      if (s && entry[5]) { s.parentNode.lang = entry[5]; }
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  var initial = params.get("q") || "";
  input.value = initial;
  if (initial) { run(initial); }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    try { window.history.replaceState(null, "", url.toString()); } catch (e) { /* file:// in some browsers */ }
    run(input.value);
  });
}());
