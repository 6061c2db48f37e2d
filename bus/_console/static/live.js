// Live parts of a page: an element with data-live-src is replaced by a fresh rendering of
// that URL every data-live-every seconds, so the page updates without a reload.
(function () {
  "use strict";
  function poll(box) {
    var every = Math.max(1, parseFloat(box.dataset.liveEvery || "5")) * 1000;
    var status = document.querySelector("[data-live-status]");
    function tick() {
      fetch(box.dataset.liveSrc, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.redirected || !r.ok) { throw new Error("status " + r.status); }
          return r.text();
        })
        .then(function (html) {
          box.innerHTML = html;
          if (status) { status.textContent = "live · " + new Date().toISOString().slice(11, 19) + " UTC"; status.className = "live"; }
        })
        .catch(function () {
          if (status) { status.textContent = "not updating"; status.className = "live stale"; }
        })
        .finally(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live-src]").forEach(poll);
    document.querySelectorAll("[data-check-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        all.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach(function (box) { box.checked = all.checked; });
      });
    });
  });
})();
