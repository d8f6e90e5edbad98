// Zoom for the timeline: buttons and the + / − keys scale the picture; the frame scrolls.
(function () {
  "use strict";
  var frame = document.getElementById("timeline");
  if (!frame) { return; }
  var svg = frame.querySelector("svg");
  var width = parseFloat(svg.getAttribute("width")), height = parseFloat(svg.getAttribute("height"));
  var scale = 1, fit = Math.min(1, (frame.clientWidth - 4) / width) || 1;
  function set(next) {
    scale = Math.min(6, Math.max(0.3, next));
    svg.setAttribute("width", String(Math.round(width * scale)));
    svg.setAttribute("height", String(Math.round(height * scale)));
  }
  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var what = button.getAttribute("data-zoom");
      set(what === "in" ? scale * 1.5 : what === "out" ? scale / 1.5 : fit);
    });
  });
  set(fit);  // start with the whole picture in view
  document.addEventListener("keydown", function (event) {
    if (event.target && /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName)) { return; }
    if (event.key === "+" || event.key === "=") { set(scale * 1.5); event.preventDefault(); }
    if (event.key === "-" || event.key === "_") { set(scale / 1.5); event.preventDefault(); }
  });
}());
