/* Articles in the reader's widget, found by the site's own search (search-ui.js,
 * window.HelpCenterSearch): the panel's search results, drawn like the site's dropdown, with
 * "Ask us" when nothing is found, and the suggestions shown while a reader types a first
 * question. Plain JS, one global, window.HelpCenterArticles, loaded before widget.js; what
 * was offered and opened is kept by widget-visit.js. On a page without the site's search (a
 * product embedding the widget) there is nothing to find, and nothing is shown.
 */
(function () {
  "use strict";
  var kit = window.HelpCenterChatKit;
  var visit = window.HelpCenterVisit;
  if (window.HelpCenterArticles || !kit || !visit) return;  // widget.js loads what is missing

  // One found article: its title, the section it matched (§) and where it lives.
  function item(hit, root) {
    var li = kit.el("li", "hc-chat-result");
    var a = kit.el("a", "hc-chat-result-link");
    a.href = (root || "") + hit.url;
    a.appendChild(kit.el("span", "hc-chat-result-title", hit.title));
    if (hit.heading) a.appendChild(kit.el("span", "hc-chat-result-heading", hit.heading));
    if (hit.path) a.appendChild(kit.el("span", "hc-chat-result-path", hit.path));
    li.appendChild(a);
    return li;
  }

  // Nothing found: "Ask us: «…»" (words.ask(query) says it) hands the words to onAsk (the
  // message box).
  function nothing(query, words, onAsk) {
    var li = kit.el("li", "hc-chat-result hc-chat-nothing");
    li.appendChild(kit.el("span", "hc-chat-result-path", words.nothing));
    var ask = kit.el("button", "hc-chat-ask", words.ask(query.slice(0, 80)));
    ask.type = "button";
    ask.addEventListener("click", function () {
      visit.searched(query);  // for this visit: the question may come on another page
      onAsk(query);
    });
    li.appendChild(ask);
    return li;
  }

  function search() {
    var api = window.HelpCenterSearch;
    return api && api.query ? api : null;
  }

  // The panel's search box: the best five, or "Ask us". It may answer twice (titles first).
  function results(query, list, options) {
    var api = search();
    query = query.trim().slice(0, 200);
    list.hidden = !query || !api;
    if (!query || !api) { list.textContent = ""; return; }
    api.query(query, { typing: true, limit: 5 }, function (found) {
      list.textContent = "";
      var hits = (found && found.results || []).slice(0, 5);
      hits.forEach(function (hit) { list.appendChild(item(hit, options.root)); });
      if (!hits.length) list.appendChild(nothing(query, options.words, options.onAsk));
    });
  }

  // While a first question is typed: up to three articles that match it, after a pause.
  // options: box (shown when there are some), list, root, open() (false once a conversation
  // exists: then nothing is suggested).
  function suggester(options) {
    var timer = null;
    function show(text) {
      var api = search();
      if (!options.open() || !api || text.trim().length < 3) { options.box.hidden = true; return; }
      api.query(text.trim().slice(0, 200), { limit: 3 }, function (found) {
        var hits = (found && found.results || []).slice(0, 3);
        options.list.textContent = "";
        hits.forEach(function (hit) {
          var li = item(hit, options.root);
          li.firstChild.addEventListener("click", function () { visit.offered([], hit.title); });
          options.list.appendChild(li);
        });
        options.box.hidden = !hits.length || !options.open();
        if (hits.length) visit.offered(hits.map(function (hit) { return hit.title; }), "");
      });
    }
    return function typed(text) {
      clearTimeout(timer);
      timer = setTimeout(function () { show(text); }, 300);
    };
  }

  window.HelpCenterArticles = { results: results, suggester: suggester };
})();
