/* Small enhancements of the default theme; every page works without them. */
(function () {
  "use strict";
  var doc = document.documentElement;
  var KEY = "theme";

  function stored() {
    try { return localStorage.getItem(KEY); } catch { return null; }
  }

  // --- light / dark toggle: the inline script in <head> already set data-theme before paint.
  function applyTheme(theme) {
    doc.setAttribute("data-theme", theme);
    var buttons = document.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", theme === "dark" ? "true" : "false");
    }
  }
  applyTheme(doc.getAttribute("data-theme") === "dark" ? "dark" : "light");
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-theme-toggle]");
    if (!button) return;
    var next = doc.getAttribute("data-theme") === "dark" ? "light" : "dark";
    applyTheme(next);
    try { localStorage.setItem(KEY, next); } catch { /* private mode: not remembered */ }
  });
  // Follow the system setting live, until the reader makes a choice of their own.
  if (window.matchMedia) {
    var query = window.matchMedia("(prefers-color-scheme: dark)");
    var follow = function (e) { if (!stored()) applyTheme(e.matches ? "dark" : "light"); };
    if (query.addEventListener) query.addEventListener("change", follow);
  }

  // --- language menu: close on Escape and on a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelectorAll("details.lang-menu[open]");
    for (var i = 0; i < open.length; i++) {
      open[i].removeAttribute("open");
      open[i].querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    var menus = document.querySelectorAll("details.lang-menu[open]");
    for (var i = 0; i < menus.length; i++) {
      if (!menus[i].contains(event.target)) menus[i].removeAttribute("open");
    }
  });

  // --- code blocks that scroll sideways must be reachable by keyboard (WCAG 2.1.1): make
  // just those focusable, and re-check when the width changes (phone rotation).
  function focusableScrollers() {
    var blocks = document.querySelectorAll(".prose pre");
    for (var i = 0; i < blocks.length; i++) {
      var pre = blocks[i];
      if (pre.scrollWidth > pre.clientWidth + 1) pre.setAttribute("tabindex", "0");
      else if (pre.getAttribute("tabindex") === "0") pre.removeAttribute("tabindex");
    }
  }
  focusableScrollers();
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(focusableScrollers, 150);
  });

  // --- print the whole article: folded answers ("::: details") open while printing.
  window.addEventListener("beforeprint", function () {
    var closed = document.querySelectorAll(".prose details:not([open])");
    for (var i = 0; i < closed.length; i++) {
      closed[i].setAttribute("open", "");
      closed[i].setAttribute("data-print-opened", "");
    }
  });
  window.addEventListener("afterprint", function () {
    var opened = document.querySelectorAll("details[data-print-opened]");
    for (var i = 0; i < opened.length; i++) {
      opened[i].removeAttribute("open");
      opened[i].removeAttribute("data-print-opened");
    }
  });

  // --- table of contents: folded on phones (it sits above the body there), and on wide
  // screens the section being read is highlighted.
  var toc = document.querySelector(".toc-details");
  if (!toc) return;
  // On wide screens the TOC is a sidebar whose summary cannot be clicked, so it must be open.
  var narrow = window.matchMedia && window.matchMedia("(max-width: 1023px)");
  if (narrow && narrow.matches) toc.removeAttribute("open");
  if (narrow && narrow.addEventListener) {
    narrow.addEventListener("change", function (e) { if (!e.matches) toc.setAttribute("open", ""); });
  }
  var links = toc.querySelectorAll("a[href^='#']");
  if (!("IntersectionObserver" in window) || !links.length) return;
  var byId = {};
  var targets = [];
  for (var i = 0; i < links.length; i++) {
    var id = decodeURIComponent(links[i].getAttribute("href").slice(1));
    var target = document.getElementById(id);
    if (target) { byId[id] = links[i]; targets.push(target); }
  }
  var visible = {};
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) { visible[entry.target.id] = entry.isIntersecting; });
    var current = null;
    for (var j = 0; j < targets.length; j++) {
      if (visible[targets[j].id]) { current = targets[j].id; break; }
    }
    if (!current) return;
    for (var k in byId) byId[k].classList.toggle("is-active", k === current);
  }, { rootMargin: "0px 0px -60% 0px" });
  targets.forEach(function (t) { observer.observe(t); });
})();
