// A wide table scrolls inside its panel on a phone: such a panel is made reachable by
// keyboard and named for screen readers (axe: scrollable-region-focusable). The pages
// work without this script.
(function () {
  "use strict";
  function mark() {
    var panels = document.querySelectorAll(".panel");
    for (var i = 0; i < panels.length; i++) {
      var panel = panels[i];
      var scrolls = panel.scrollWidth > panel.clientWidth + 1;
      if (scrolls && !panel.hasAttribute("tabindex")) {
        panel.setAttribute("tabindex", "0");
        panel.setAttribute("data-scrolls", "");
        if (!panel.hasAttribute("aria-label") && !panel.hasAttribute("aria-labelledby")) {
          var heading = panel.querySelector("h2, h3");
          panel.setAttribute("role", "region");
          panel.setAttribute("aria-label", (heading ? heading.textContent.trim() + "：" : "") + "可左右滚动查看");
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
