// The report view without jumps: a click on a cell or a finding reloads the page on it
// (?cell= / ?finding=, which works without this script); this keeps the tables where they were
// and scrolls only the source list to the line (#L12), instead of the whole window.
(function () {
  "use strict";
  var key = "nb-report-scroll:" + location.pathname;

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".tables-pane a") : null;
    if (link && link.getAttribute("href").charAt(0) === "?") {
      try { sessionStorage.setItem(key, String(window.scrollY)); } catch (e) { /* storage off: plain jump */ }
    }
  });

  function settle() {
    var list = document.getElementById("source");
    var target = /^#L\d+$/.test(location.hash) ? document.getElementById(location.hash.slice(1)) : null;
    var saved = null;
    try { saved = sessionStorage.getItem(key); sessionStorage.removeItem(key); } catch (e) { saved = null; }
    if (saved !== null) {
      window.scrollTo(0, Number(saved) || 0);
    }
    if (list && target) {
      list.scrollTop = Math.max(0, target.offsetTop - list.offsetTop - list.clientHeight / 3);
    }
  }

  if (document.readyState === "complete") {
    settle();
  } else {
    window.addEventListener("load", settle);
  }
})();
