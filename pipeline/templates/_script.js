(function () {
  "use strict";
  var box = document.getElementById("evidence");
  function openPanel(id, scroll) {
    var panel = id && document.getElementById(id);
    if (!panel || !panel.classList.contains("ev")) { return; }
    document.querySelectorAll(".ev.open").forEach(function (p) { p.classList.remove("open"); });
    document.querySelectorAll("td.sel").forEach(function (td) { td.classList.remove("sel"); });
    panel.classList.add("open");
    box.classList.add("has-open");
    document.querySelectorAll('a[data-panel="' + id + '"]').forEach(function (a) { a.parentNode.classList.add("sel"); });
    if (scroll) { panel.scrollIntoView({block: "nearest"}); }
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest("a[data-panel]");
    if (!a) { return; }
    e.preventDefault();
    history.replaceState(null, "", "#" + a.getAttribute("data-panel"));
    openPanel(a.getAttribute("data-panel"), true);
  });
  var all = document.getElementById("toggle-all");
  if (all) {
    all.addEventListener("click", function () {
      var on = document.body.classList.toggle("all");
      all.textContent = on ? all.getAttribute("data-hide") : all.getAttribute("data-show");
    });
  }
  if (location.hash.length > 1) { openPanel(decodeURIComponent(location.hash.slice(1)), false); }
})();
