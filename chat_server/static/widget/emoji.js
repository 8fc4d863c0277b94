/* The emoji picker the widget and the operator page share: loaded only when someone first
   opens it (the widget stays small for readers who never do), it reads emojibase-data's
   compact list for the language (vendor/emojibase-<lang>.json, from our own origin: no CDN)
   and draws a search box and a grid of buttons. No inline script or style: it runs under the
   site's and the operator page's CSP as they are. Plain ES5-ish, like widget.js.

   HCEmoji.picker({ base, lang, onPick(text), onClose(), strings }) → the picker's element.
   Keyboard: typing searches, ↓ from the box enters the grid, arrows move, Enter (or a click)
   picks, Escape closes; Tab leaves the grid for the box and back. */
(function () {
  "use strict";
  if (window.HCEmoji) return;
  var COLUMNS = 8;
  var LANGS = { ru: "ru", en: "en" };
  var loads = {};

  // The list for a language, once per page: components (skin tones alone) and the regional
  // letters, which have no group, are left out.
  function load(base, lang) {
    var code = LANGS[lang] || "en";
    if (!loads[code]) {
      loads[code] = fetch(base + "/widget/vendor/emojibase-" + code + ".json", { mode: "cors" })
        .then(function (r) { if (!r.ok) throw new Error("emoji data " + r.status); return r.json(); })
        .then(function (list) {
          return list.filter(function (e) { return typeof e.group === "number" && e.group !== 2; })
            .sort(function (a, b) { return a.order - b.order; })
            .map(function (e) {
              return { text: e.unicode, label: e.label,
                       words: (e.label + " " + (e.tags || []).join(" ")).toLowerCase() };
            });
        });
      loads[code].catch(function () { delete loads[code]; });  // a failed load may be retried
    }
    return loads[code];
  }

  // Every word of the query must begin a word of the emoji's label or tags: "сердце" finds
  // "красное сердце", "кра серд" too, "ердце" does not.
  function matches(emoji, words) {
    for (var i = 0; i < words.length; i++) {
      if (emoji.words.indexOf(words[i]) !== 0 && emoji.words.indexOf(" " + words[i]) < 0) return false;
    }
    return true;
  }

  function el(tag, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    return node;
  }

  function picker(options) {
    var s = options.strings || {};
    var root = el("div", "hc-emoji");
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-label", s.title || "Emoji");
    var search = el("input", "hc-emoji-search");
    search.type = "search";
    search.placeholder = s.search || "Search emoji";
    search.setAttribute("aria-label", s.search || "Search emoji");
    search.maxLength = 60;
    var grid = el("div", "hc-emoji-grid");
    grid.setAttribute("role", "grid");
    var empty = el("p", "hc-emoji-empty");
    empty.textContent = s.loading || "…";
    root.appendChild(search);
    root.appendChild(grid);
    root.appendChild(empty);
    var all = [];

    function buttons() { return grid.querySelectorAll("button"); }
    function focusAt(i) {
      var list = buttons();
      if (!list.length) return;
      i = Math.max(0, Math.min(list.length - 1, i));
      for (var k = 0; k < list.length; k++) list[k].tabIndex = k === i ? 0 : -1;
      list[i].focus();
    }
    function draw() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = words.length ? all.filter(function (e) { return matches(e, words); }) : all;
      grid.textContent = "";
      var fragment = document.createDocumentFragment();
      shown.forEach(function (e, i) {
        var b = el("button", "hc-emoji-item");
        b.type = "button";
        b.textContent = e.text;
        b.title = e.label;
        b.setAttribute("aria-label", e.label);
        b.tabIndex = i === 0 ? 0 : -1;
        fragment.appendChild(b);
      });
      grid.appendChild(fragment);
      empty.hidden = shown.length > 0;
      empty.textContent = s.nothing || "No emoji found";
    }

    search.addEventListener("input", draw);
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || (e.key === "Enter" && buttons().length)) {
        e.preventDefault();
        if (e.key === "Enter") buttons()[0].click(); else focusAt(0);
      }
    });
    grid.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button") : null;
      if (b) options.onPick(b.textContent);
    });
    grid.addEventListener("keydown", function (e) {
      var list = Array.prototype.slice.call(buttons());
      var i = list.indexOf(document.activeElement);
      if (i < 0) return;
      var step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -COLUMNS, ArrowDown: COLUMNS }[e.key];
      if (step) {
        e.preventDefault();
        if (i + step < 0) search.focus(); else focusAt(i + step);
      }
    });
    root.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); options.onClose(); }
    });

    load(options.base || "", options.lang).then(function (list) { all = list; draw(); },
      function () { empty.textContent = s.failed || "Emoji could not be loaded."; });
    setTimeout(function () { search.focus(); }, 0);
    return root;
  }

  // Put `text` where the caret is in a textarea or input (replacing a selection), as typing
  // would: the caret lands after it and an input event tells whoever keeps the draft.
  function insertAtCaret(field, text) {
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    if (field.maxLength > 0 && field.value.length - (end - start) + text.length > field.maxLength) return;
    field.setRangeText(text, start, end, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }

  window.HCEmoji = { picker: picker, insertAtCaret: insertAtCaret, load: load };
})();
