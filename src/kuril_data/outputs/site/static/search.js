// Ranked search, offline: the index (search-index.js) holds per record [url, kind, title, date in words,
// language, names, summaries, evidence] in the original case. Matching folds case and diacritics (NFD,
// combining marks dropped), so "wyspy" finds "Wyspy" and "lodz" "Łódź"-less spellings alike. A record
// scores by the best tier it matches in (a name equal to the query, then names and titles, summaries,
// evidence) and by whole-word matches: word boundaries come from Intl.Segmenter where the browser has
// it (Thai has no spaces), else any substring counts. Snippets show the original text, match marked.
(function () {
  "use strict";
  var index = window.KURIL_SEARCH || [];
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var kindSelect = document.getElementById("kind");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var MAX = 200, SEP = " \u2029 ";
  var TIERS = [[5, 1000], [6, 200], [7, 50]];  // [field, weight]: names and titles, summaries, evidence
  var segmenter = (typeof Intl !== "undefined" && Intl.Segmenter) ? new Intl.Segmenter("th", {granularity: "word"}) : null;
  var LOSSY = /[\u0141\u0142]/g;  // Ł ł have no decomposition

  function foldChar(c) {
    return c.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(LOSSY, "l").toLowerCase();
  }
  // The folded text, and for each folded position the position of its character in the original.
  function fold(text) {
    var out = "", map = [];
    for (var i = 0; i < text.length; i++) {
      var f = foldChar(text[i]);
      for (var j = 0; j < f.length; j++) { out += f[j]; map.push(i); }
    }
    map.push(text.length);
    return {text: out.replace(/[^\S\u2029]/g, " "), map: map};  // white space, the tier separator kept
  }
  function foldQuery(q) { return fold(q.normalize("NFC")).text.split(/\s+/).filter(Boolean).join(" "); }

  var folded = index.map(function (e) { return [fold(e[5]).text, fold(e[6]).text, fold(e[7]).text]; });

  function boundaries(text) {
    if (!segmenter) { return null; }
    var set = {};
    var it = segmenter.segment(text);
    for (var seg of it) { set[seg.index] = true; set[seg.index + seg.segment.length] = true; }
    return set;
  }
  function isWordChar(c) { return /[\p{L}\p{N}]/u.test(c || ""); }
  // Whether text[at, at+len) is a whole word (or words): Intl.Segmenter's boundaries for Thai, else letters.
  function wholeWord(text, at, len) {
    if (/[\u0e00-\u0e7f]/.test(text.slice(at, at + len))) {
      var b = boundaries(text.slice(Math.max(0, at - 40), at + len + 40));
      if (!b) { return false; }
      var off = Math.max(0, at - 40);
      return !!(b[at - off] && b[at + len - off]);
    }
    return !isWordChar(text[at - 1]) && !isWordChar(text[at + len]);
  }

  function score(i, q, words) {
    var best = 0, where = null;
    TIERS.forEach(function (tier, t) {
      var text = folded[i][t];
      if (!text) { return; }
      var s = 0, at = text.indexOf(q);
      if (at >= 0) {
        s = tier[1] * 2;
        if (wholeWord(text, at, q.length)) { s += tier[1]; }
        if (t === 0 && text.split("\u2029").some(function (n) { return n.trim().split(/ +/).join(" ") === q; })) {
          s += 100000;  // the record the query names
        }
      } else if (words.length > 1 && words.every(function (w) { return text.indexOf(w) >= 0; })) {
        s = tier[1];
        at = text.indexOf(words[0]);
      }
      if (s > best) { best = s; where = {tier: t, at: at, len: at === text.indexOf(q) ? q.length : words[0].length}; }
    });
    return best ? {score: best, where: where} : null;
  }

  function snippet(entry, where) {
    var original = entry[5 + where.tier];
    var f = fold(original);
    var start = f.map[where.at], end = f.map[where.at + where.len];
    var sepBefore = original.lastIndexOf(SEP, start), sepAfter = original.indexOf(SEP, end);
    var lo = Math.max(sepBefore < 0 ? 0 : sepBefore + SEP.length, start - 80);
    var hi = Math.min(sepAfter < 0 ? original.length : sepAfter, end + 80);
    var span = document.createElement("span");
    span.appendChild(document.createTextNode((lo > 0 ? "…" : "") + original.slice(lo, start)));
    var mark = document.createElement("mark");
    mark.textContent = original.slice(start, end);
    span.appendChild(mark);
    span.appendChild(document.createTextNode(original.slice(end, hi) + (hi < original.length ? "…" : "")));
    return span;
  }

  function run(query, kind) {
    var q = foldQuery(query);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!q) { return; }
    var words = q.split(" ");
    var found = [];
    index.forEach(function (entry, i) {
      if (kind && entry[1] !== kind) { return; }
      var s = score(i, q, words);
      if (s) { found.push({entry: entry, score: s.score, where: s.where, order: i}); }
    });
    found.sort(function (a, b) { return b.score - a.score || a.order - b.order; });
    status.textContent = found.length + (found.length === 1 ? " record" : " records") + " found for “" + query + "”" +
      (kind ? " among " + kind : "") + (found.length > MAX ? " (the first " + MAX + " shown)" : "") + ".";
    found.slice(0, MAX).forEach(function (hit) {
      var entry = hit.entry;
      var li = document.createElement("li");
      li.className = "result";
      var a = document.createElement("a");
      a.href = entry[0];
      a.textContent = entry[2];
      if (entry[4]) { a.lang = entry[4]; }
      li.appendChild(a);
      var meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = entry[1] + (entry[3] ? " · " + entry[3] : "") +
        [" · name or title", " · summary", " · evidence"][hit.where.tier];
      li.appendChild(meta);
      if (hit.where.tier > 0 || entry[5].indexOf(SEP) >= 0) {
        var p = document.createElement("p");
        p.appendChild(snippet(entry, hit.where));
        if (entry[4]) { p.lang = entry[4]; }
        li.appendChild(p);
      }
      list.appendChild(li);
    });
  }

  var params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  kindSelect.value = params.get("kind") || "";
  if (input.value) { run(input.value, kindSelect.value); }
  function submit(event) {
    if (event) { event.preventDefault(); }
    var url = new URL(window.location.href);
    url.searchParams.set("q", input.value);
    if (kindSelect.value) { url.searchParams.set("kind", kindSelect.value); } else { url.searchParams.delete("kind"); }
    try { window.history.replaceState(null, "", url.toString()); } catch (e) { /* file:// in some browsers */ }
    run(input.value, kindSelect.value);
  }
  form.addEventListener("submit", submit);
  kindSelect.addEventListener("change", function () { submit(null); });
}());
