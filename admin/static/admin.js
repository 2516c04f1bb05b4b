// A wide table scrolls inside its panel on a phone: such a panel is made reachable by
// keyboard and named for screen readers (axe: scrollable-region-focusable). The pages
// work without this script.
(function () {
  "use strict";
  var used = {};
  function label(panel) {
    // Named by its heading (or the page's), each name once on the page (axe: landmark-unique).
    var heading = panel.querySelector("h2, h3") || document.querySelector("main h1");
    var text = (heading ? heading.textContent.trim() : "表格") + "（可左右滚动）";
    used[text] = (used[text] || 0) + 1;
    return used[text] > 1 ? text + " " + used[text] : text;
  }
  function mark() {
    var panels = document.querySelectorAll(".panel");
    for (var i = 0; i < panels.length; i++) {
      var panel = panels[i];
      var scrolls = panel.scrollWidth > panel.clientWidth + 1;
      if (scrolls && !panel.hasAttribute("tabindex")) {
        panel.setAttribute("tabindex", "0");
        panel.setAttribute("data-scrolls", "");
        if (!panel.hasAttribute("aria-label") && !panel.hasAttribute("aria-labelledby")) {
          panel.setAttribute("role", "region");
          panel.setAttribute("aria-label", label(panel));
        }
      } else if (!scrolls && panel.hasAttribute("data-scrolls")) {
        panel.removeAttribute("tabindex");
        panel.removeAttribute("data-scrolls");
      }
    }
  }
  mark();
  window.addEventListener("resize", mark);
})();
