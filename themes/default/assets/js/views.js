/* Article views and «Popular articles», both talking to the chat sidecar (chat.url).
   An article page tells the sidecar it was viewed: its id and language, nothing else (no
   cookie, no reader id), and only when the browser does not ask for Do Not Track or Global
   Privacy Control. A home page asks which articles were read most and lists them; without a
   sidecar, or before enough views, the block stays hidden. */
(function () {
  "use strict";

  function optedOut() {
    return navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
      navigator.globalPrivacyControl === true;
  }

  function endpoint(element, path) {
    return (element.getAttribute("data-chat-url") || "").replace(/\/+$/, "") + path;
  }

  // fetch with keepalive is a beacon that survives leaving the page like sendBeacon does,
  // but with credentials "omit": sendBeacon always sends the sidecar's cookies (an
  // operator's session, when they read the help center), and a view needs none. As text/plain
  // it is a simple request: no preflight before it.
  function beacon(url, data) {
    var body = JSON.stringify(data);
    if (window.fetch) {
      fetch(url, { method: "POST", body: body, keepalive: true, credentials: "omit",
                   headers: { "Content-Type": "text/plain" } })
        .catch(function () { /* the sidecar is away: this view is not counted */ });
    } else if (navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
    }
  }

  // Once per page view, and only once the page is seen: a tab opened in the background or
  // prerendered and never looked at is not a view.
  function countView(element) {
    if (optedOut()) return;
    var sent = false;
    function send() {
      if (sent || document.visibilityState !== "visible") return;
      sent = true;
      document.removeEventListener("visibilitychange", send);
      beacon(endpoint(element, "/api/views"), {
        article_id: element.getAttribute("data-article-id"),
        lang: element.getAttribute("data-lang"),
      });
    }
    document.addEventListener("visibilitychange", send);
    send();
  }

  // A manifest URL is a path from the site root ("/ru/nds/x/"); the page knows its way there.
  function siteLink(url) {
    if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return null;
    var root = document.documentElement.getAttribute("data-root") || "/";
    return root + url.slice(1);
  }

  function fillPopular(section, articles) {
    var list = section.querySelector("[data-hc-popular-list]");
    if (!list || !Array.isArray(articles)) return;
    var shown = 0;
    list.textContent = "";
    articles.forEach(function (article) {
      var href = siteLink(article && article.url);
      if (!href || typeof article.title !== "string" || !article.title) return;
      var item = document.createElement("li");
      var link = document.createElement("a");
      var title = document.createElement("span");
      link.className = "article-row";
      link.href = href;
      title.className = "article-row-title";
      title.textContent = article.title; // text, never HTML: titles come over the network
      link.appendChild(title);
      item.appendChild(link);
      list.appendChild(item);
      shown += 1;
    });
    section.hidden = shown === 0;
  }

  function showPopular(section) {
    if (!window.fetch) return;
    var lang = section.getAttribute("data-lang") || "";
    fetch(endpoint(section, "/api/popular?lang=" + encodeURIComponent(lang)),
          { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) fillPopular(section, data.articles); })
      .catch(function () { /* no sidecar: the block stays hidden */ });
  }

  var article = document.querySelector("[data-hc-views]");
  if (article) countView(article);
  var popular = document.querySelector("[data-hc-popular]");
  if (popular) showPopular(popular);
})();
