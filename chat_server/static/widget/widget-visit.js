/* The reader's visit, for the operator's context panel: what lasts while this tab is on the
 * help center (sessionStorage) and goes with the first question. Plain JS, one global,
 * window.HelpCenterVisit, loaded before widget.js (partials/chat_scripts.html).
 *
 * - the way in: the first page of the visit and where the reader came from, kept at that
 *   first page, so the operator sees more than the page the reader happens to be on now;
 * - what the reader searched for in the widget and did not find ("Ask us");
 * - the articles offered while they typed a first question, and the one they opened.
 * Private modes throw on sessionStorage: then nothing is kept and nothing breaks.
 */
(function () {
  "use strict";
  if (window.HelpCenterVisit) return;
  var PREFIX = "hc-chat:";
  var MAX = 500;  // what conversations.py keeps of a context field

  function get(key, fallback) {
    try {
      var value = sessionStorage.getItem(PREFIX + key);
      return value === null ? fallback : JSON.parse(value);
    } catch { return fallback; }
  }
  function set(key, value) {
    try { sessionStorage.setItem(PREFIX + key, JSON.stringify(value)); } catch { /* not kept */ }
  }

  var way = get("visit", null);
  if (!way || !way.entry_page) {
    way = { entry_page: location.href.split("#")[0].slice(0, MAX), referrer: document.referrer.slice(0, MAX) };
    set("visit", way);
  }

  function suggested() { return get("suggested", { shown: [], opened: "" }); }

  window.HelpCenterVisit = {
    // The context fields (docs/protocol.md, hello): only those with something in them.
    context: function () {
      var offered = suggested();
      var fields = { entry_page: way.entry_page, referrer: way.referrer, search: get("searched", ""),
                     suggestions: offered.shown.join(" · ").slice(0, MAX), suggestion_opened: offered.opened };
      Object.keys(fields).forEach(function (k) { if (!fields[k]) delete fields[k]; });
      return fields;
    },
    searched: function (query) { set("searched", String(query || "").slice(0, 200)); },
    // Titles shown (the last 8, each once) and the one opened.
    offered: function (titles, opened) {
      var state = suggested();
      titles.forEach(function (title) { if (state.shown.indexOf(title) < 0) state.shown.push(title); });
      state.shown = state.shown.slice(-8);
      if (opened) state.opened = opened;
      set("suggested", state);
    },
    // The first question is sent: what led to it is in its context; a next one starts afresh.
    asked: function () {
      set("searched", "");
      set("suggested", { shown: [], opened: "" });
    }
  };
})();
