/* Small enhancements of the default theme; every page works without them. */
(function () {
  "use strict";
  var doc = document.documentElement;
  var KEY = "theme";

  // --- the 404 page. Hosts serve the first language's 404.html for every missing path; it
  // names each language's own (en/404.html) and shows the one of the path asked for, or else
  // the reader's, keeping the address they typed (?from= carries it, same origin only).
  var pages;
  var own = document.querySelector("[data-not-found-pages]");
  try { pages = own && JSON.parse(own.getAttribute("data-not-found-pages")); } catch { pages = null; }
  if (pages) {
    var siteRoot = doc.getAttribute("data-root") || "/";
    var asked = location.pathname.indexOf(siteRoot) === 0 ? location.pathname.slice(siteRoot.length) : "";
    var wanted = [asked.split("/")[0]].concat(navigator.languages || [navigator.language || ""]);
    for (var w = 0; w < wanted.length; w++) {
      var code = String(wanted[w] || "").toLowerCase().split("-")[0];
      if (!Object.prototype.hasOwnProperty.call(pages, code)) continue;
      if (code !== doc.getAttribute("lang")) {
        location.replace(pages[code] + "?from=" + encodeURIComponent(location.pathname + location.search + location.hash));
        return;
      }
      break;
    }
  } else if (document.body.classList.contains("page-404")) {
    var from = new URLSearchParams(location.search).get("from");
    if (from && from.charAt(0) === "/" && from.charAt(1) !== "/" && from.charAt(1) !== "\\") {
      try { history.replaceState(null, "", from); } catch { /* not this origin: keep ours */ }
    }
  }

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

  // --- a link to a folded answer (a FAQ question's id, as search results give it) opens it:
  // browsers scroll to a closed <details> but leave its answer hidden.
  function openLinkedAnswer() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch { return; }
    var target = id && document.getElementById(id);
    if (!target || !target.closest) return;
    var opened = false;
    for (var node = target.closest("details"); node; node = node.parentElement && node.parentElement.closest("details")) {
      if (!node.open) {
        node.open = true;
        opened = true;
      }
    }
    if (opened) target.scrollIntoView();
  }
  openLinkedAnswer();
  window.addEventListener("hashchange", openLinkedAnswer);

  // --- strings for what this script adds, from its own tag (data-strings: JSON, no inline script).
  var strings = {};
  try {
    var self = document.currentScript || document.querySelector("script[data-strings]");
    strings = JSON.parse(self.getAttribute("data-strings")) || {};
  } catch { /* a theme override without them: the English defaults below */ }
  function text(key, fallback) { return strings[key] || fallback; }

  // --- "/" and Ctrl+K (Cmd+K on a Mac) jump to the search box, unless the reader is typing.
  function typing(target) {
    if (!target || target === document.body) return false;
    if (target.isContentEditable) return true;
    return /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  function searchBox() {
    var inputs = document.querySelectorAll("[data-search-input]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].getClientRects().length) return inputs[i]; // the one shown on this page
    }
    return null;
  }
  var boxes = document.querySelectorAll("[data-search-input]");
  for (var b = 0; b < boxes.length; b++) boxes[b].setAttribute("aria-keyshortcuts", "/ Control+K Meta+K");
  document.addEventListener("keydown", function (event) {
    var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey;
    var k = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.altKey;
    if ((!slash && !k) || event.defaultPrevented || typing(event.target)) return;
    var box = searchBox();
    if (!box) return;
    event.preventDefault(); // no "/" typed into the box, no browser search bar for Ctrl+K
    box.focus();
    box.select();
  });

  // --- a copy button on every code block: keyboard reachable, says "copied" when it did.
  function copied(button, ok) {
    button.textContent = ok ? text("copied", "Copied") : text("copy_failed", "Press Ctrl+C to copy");
    button.setAttribute("data-copied", ok ? "true" : "false");
    var said = button.parentNode.querySelector("[role='status']");
    if (said) said.textContent = button.textContent;
    clearTimeout(button._reset);
    button._reset = setTimeout(function () {
      button.textContent = text("copy", "Copy");
      button.removeAttribute("data-copied");
      if (said) said.textContent = "";
    }, 2000);
  }
  function fallbackCopy(value) {
    // Plain http (an intranet host) has no navigator.clipboard: the old way still works there.
    var area = document.createElement("textarea");
    area.value = value;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok;
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    area.remove();
    return ok;
  }
  function copyCode(button) {
    var code = button.parentNode.querySelector("pre");
    var value = code ? code.innerText.replace(/\n$/, "") : "";
    var done = function () { copied(button, true); };
    var manual = function () {
      copied(button, fallbackCopy(value));
      button.focus();
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(value).then(done, manual);
    else manual();
  }
  var blocks = document.querySelectorAll(".prose pre");
  for (var c = 0; c < blocks.length; c++) {
    var pre = blocks[c];
    var wrap = document.createElement("div");
    wrap.className = "code-block";
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = text("copy", "Copy");
    button.setAttribute("aria-label", text("copy_label", "Copy the code to the clipboard"));
    wrap.appendChild(button);
    // Said aloud once it happened; the button's own label stays the action.
    var said = document.createElement("span");
    said.className = "visually-hidden";
    said.setAttribute("role", "status");
    wrap.appendChild(said);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".copy-code");
    if (button) copyCode(button);
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
