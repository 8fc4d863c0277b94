/* Article ratings and failed-search reports for the help center's pages. Plain JS.
 *
 * Configured by #helpcenter-chat-config (partials/chat_scripts.html) like the chat widget,
 * and independent of it (it shares only chat-kit.js): a 😞 asks window.HelpCenterChat to
 * open with the article.
 */
(function () {
  "use strict";
  // A page built before chat-kit.js existed does not load it: load it, then this script again.
  function kitThenAgain(base, script) {
    if (!script || script.hasAttribute("data-after-kit")) return;
    var kitScript = document.createElement("script");
    kitScript.src = base + "/widget/chat-kit.js";
    kitScript.onload = function () {
      var again = document.createElement("script");
      again.src = script.src;
      again.setAttribute("data-after-kit", "");
      document.head.appendChild(again);
    };
    document.head.appendChild(kitScript);
  }
  var configNode = document.getElementById("helpcenter-chat-config");
  if (!configNode || window.HelpCenterFeedback) return;
  var cfg = JSON.parse(configNode.textContent);
  var base = cfg.url.replace(/\/+$/, "");
  var kit = window.HelpCenterChatKit;
  if (!kit) return kitThenAgain(base, document.currentScript);
  var store = kit.storage("hc-chat:");  // shared with widget.js: one reader token per browser

  // ---------------------------------------------------------------- posting (ratings, searches)
  function post(path, body, beacon) {
    var text = JSON.stringify(body);
    // text/plain keeps it a "simple" request: no CORS preflight, and sendBeacon may carry it.
    if (beacon && navigator.sendBeacon) {
      var blob = new Blob([text], { type: "text/plain;charset=UTF-8" });
      if (navigator.sendBeacon(base + path, blob)) return Promise.resolve(null);
    }
    return fetch(base + path, { method: "POST", body: text, keepalive: true, mode: "cors",
                                headers: { "Content-Type": "text/plain;charset=UTF-8" } })
      .then(function (r) { if (!r.ok && r.status >= 500) throw new Error("http " + r.status); return r.json(); });
  }

  var searches = {
    pending: null, timer: null,
    report: function (detail) {
      if (!detail || !detail.query) return;
      var query = String(detail.query).trim();
      if (query.length < 2) return;
      // Readers type letter by letter: report only where they stopped.
      searches.pending = { lang: detail.lang || cfg.lang, query: query.slice(0, 200),
                           page: detail.page || location.pathname };
      clearTimeout(searches.timer);
      searches.timer = setTimeout(searches.flush, 1500);
    },
    flush: function () {
      var item = searches.pending;
      searches.pending = null;
      if (item) searches.send(item);
    },
    send: function (item) {
      if (navigator.onLine === false) return searches.queue(item);
      post("/api/failed-searches", item, false).catch(function () { searches.queue(item); });
    },
    queue: function (item) {
      var queued = store.get("searches", []);
      queued.push(item);
      store.set("searches", queued.slice(-50));
    },
    drain: function () {
      var queued = store.get("searches", []);
      if (!queued.length || navigator.onLine === false) return;
      store.set("searches", []);
      queued.forEach(searches.send);
    }
  };
  document.addEventListener("helpcenter:failed-search", function (e) { searches.report(e.detail); });
  window.addEventListener("online", searches.drain);
  window.addEventListener("pagehide", function () {
    var item = searches.pending;
    searches.pending = null;
    if (item) post("/api/failed-searches", item, true).catch(function () { searches.queue(item); });
  });

  function setupRatings() {
    var boxes = document.querySelectorAll("[data-hc-feedback]");
    Array.prototype.forEach.call(boxes, function (box) {
      var article = { id: box.getAttribute("data-article-id"), lang: box.getAttribute("data-lang"),
                      commit: box.getAttribute("data-commit") || "" };
      var previous = store.get("rating:" + article.lang + "/" + article.id, null);
      var buttons = box.querySelectorAll("button[data-rating]");
      function mark(value) {
        Array.prototype.forEach.call(buttons, function (b) {
          b.setAttribute("aria-pressed", b.getAttribute("data-rating") === value ? "true" : "false");
        });
      }
      // Rated before, in this browser: the choice is shown (and can be changed: the server
      // keeps one rating per reader and article, the last one).
      var thanks = box.querySelector("[data-hc-thanks]");
      if (previous) {
        mark(previous);
        if (thanks) thanks.hidden = false;
      }
      Array.prototype.forEach.call(buttons, function (button) {
        button.disabled = false;
        button.addEventListener("click", function () {
          var value = button.getAttribute("data-rating");
          mark(value);
          store.set("rating:" + article.lang + "/" + article.id, value);
          if (thanks) thanks.hidden = false;
          post("/api/ratings", { article_id: article.id, lang: article.lang, rating: value,
                                 commit: article.commit, token: store.get("token", null) }, false)
            .then(function (answer) { if (answer && answer.token && !store.get("token", null)) store.set("token", answer.token); })
            .catch(function () { /* a lost rating is not worth bothering the reader */ });
          if (value === "sad" && window.HelpCenterChat) window.HelpCenterChat.open({ article: { id: article.id, lang: article.lang, rating: "sad" } });
        });
      });
    });
  }


  window.HelpCenterFeedback = { reportFailedSearch: searches.report };
  function start() {
    setupRatings();
    searches.drain();
  }
  if (document.readyState === "complete") start();
  else window.addEventListener("load", function () { (window.requestIdleCallback || setTimeout)(start); });
})();
