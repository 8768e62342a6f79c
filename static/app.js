// The pages' own few lines of script (the CSP allows no inline script): times in the viewer's time zone,
// and the menu button of narrow screens. Without it the pages still work: times read in UTC, the menu open.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var absolute = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });

  // "just now", "3 min ago", "5 h ago" within a day; older times read better as a date.
  function ago(date) {
    var minutes = Math.floor((Date.now() - date.getTime()) / 60000);
    if (minutes < 0 || minutes >= 24 * 60) return null;
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min ago";
    return Math.floor(minutes / 60) + " h ago";
  }

  // <time datetime="…Z">2026-12-01 13:03 UTC</time>, from the `local_time` template filter.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (element) {
      var date = new Date(element.getAttribute("datetime"));
      if (isNaN(date)) return;
      var local = absolute.format(date);
      var relative = element.hasAttribute("data-relative") ? ago(date) : null;
      element.textContent = relative || local;
      element.title = relative ? local : "";
    });
  }

  localTimes(document);
  document.addEventListener("htmx:load", function (event) { localTimes(event.target); });
  setInterval(function () { localTimes(document); }, 30000);

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-toggle");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.closest(".sidebar").classList.toggle("open", open);
  });
})();
