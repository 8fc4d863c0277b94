/*
 * The search box on every page: a type-ahead listbox under each [data-search-input]
 * (WAI-ARIA combobox pattern), the full results on /<lang>/search/?q=…, highlighting of the
 * searched words on the page a result opens, and the failed-search hook:
 *
 *   document.addEventListener("helpcenter:failed-search", e => e.detail) // {lang, query, page}
 *   window.HelpCenterSearch.onFailedSearch(function (detail) { … })
 *
 * It fires once per distinct query per page view, for a final query (Enter, or 1.5 s without
 * typing) of 3+ characters that found nothing. The index is fetched on the first focus of a
 * search box (or at once on the search page) and queried in a Web Worker.
 */
(function () {
  "use strict";

  var configNode = document.getElementById("helpcenter-search-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var strings = config.strings;
  var PAUSE_MS = 1500;
  var TYPE_DELAY_MS = 40;
  var DROPDOWN_LIMIT = 8;
  var PAGE_LIMIT = 50;

  function absolute(url) {
    return new URL(url, document.baseURI).href;
  }

  function format(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (_, key) {
      return key in values ? values[key] : "";
    });
  }

  // --- the failed-search hook ------------------------------------------------------------
  var failedCallbacks = [];
  var reported = new Set();
  function reportFailed(query) {
    var clean = query.trim().replace(/\s+/g, " ");
    if (clean.length < 3) return;
    var key = clean.toLowerCase();
    if (reported.has(key)) return;
    reported.add(key);
    var detail = { lang: config.lang, query: clean, page: location.pathname };
    document.dispatchEvent(new CustomEvent("helpcenter:failed-search", { detail: detail }));
    failedCallbacks.forEach(function (cb) {
      try {
        cb(detail);
      } catch (err) {
        setTimeout(function () {
          throw err;
        });
      }
    });
  }

  // --- the backend: a worker, or the same code on the page --------------------------------
  var backend = null;
  var nextId = 1;
  var waiting = new Map();
  var listeners = [];

  function onBackendMessage(msg) {
    if (msg.type === "results") {
      var cb = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (cb) cb(msg);
    } else {
      listeners.forEach(function (fn) {
        fn(msg);
      });
    }
  }

  var started = false;
  var bodyLoaded = false;

  /**
   * The worker with the search code, without the index. Made at the page's load event (the
   * scripts are 29 KB gzip, and a worker's start is most of a cold first result) or at the
   * first focus, whichever comes first.
   */
  function makeBackend() {
    if (backend) return backend;
    var scripts = config.scripts.map(absolute);
    try {
      var setup = { scripts: scripts };
      var worker = new Worker(absolute(config.worker) + "#" + encodeURIComponent(JSON.stringify(setup)));
      worker.onmessage = function (event) {
        onBackendMessage(event.data);
      };
      backend = { send: worker.postMessage.bind(worker) };
    } catch {
      backend = startOnPage(scripts); // hosts whose Content-Security-Policy refuses workers
    }
    return backend;
  }

  /**
   * The index itself loads only now: at the first focus of a search box. The page fetches the
   * title index at once, while the worker may still be starting, and hands the bytes over
   * (transferred, not copied; parsing stays in the worker). A failed fetch leaves it to the
   * worker, which then reports the error.
   */
  function startBackend() {
    var index = absolute(config.index);
    makeBackend();
    if (!started) {
      started = true;
      fetch(index + "index.json")
        .then(function (response) {
          return response.ok ? response.arrayBuffer() : null;
        })
        .catch(function () {
          return null;
        })
        .then(function (head) {
          backend.send({ type: "init", index: index, head: head }, head ? [head] : []);
        });
    }
    return backend;
  }

  function startOnPage(scripts) {
    var queue = [];
    var local = null;
    var chain = Promise.resolve();
    scripts.forEach(function (src) {
      chain = chain.then(function () {
        return new Promise(function (resolve, reject) {
          var tag = document.createElement("script");
          tag.src = src;
          tag.onload = resolve;
          tag.onerror = reject;
          document.head.appendChild(tag);
        });
      });
    });
    chain.then(function () {
      var fetchJson = function (url) {
        return fetch(url).then(function (r) {
          if (!r.ok) throw new Error(url + ": HTTP " + r.status);
          return r.json();
        });
      };
      local = new window.HelpCenterSearchCore.Backend(window.lunr, fetchJson, function (msg) {
        setTimeout(function () {
          onBackendMessage(msg);
        });
      });
      queue.forEach(function (msg) {
        local.handle(msg);
      });
    });
    return {
      send: function (msg) {
        if (local) local.handle(msg);
        else queue.push(msg);
      },
    };
  }

  function query(text, options, cb) {
    var id = nextId++;
    waiting.set(id, cb);
    startBackend().send({
      type: "query",
      id: id,
      q: text,
      typing: !!options.typing,
      limit: options.limit,
      snippets: !!options.snippets,
    });
  }

  // --- rendering helpers -------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function resultHref(result, words) {
    var url = config.root + result.url;
    var hl = [];
    words.forEach(function (w) {
      hl.push(w.word);
      if (w.stem !== w.word) hl.push(w.stem);
    });
    if (!hl.length) return url;
    var hash = url.indexOf("#");
    var base = hash >= 0 ? url.slice(0, hash) : url;
    var anchor = hash >= 0 ? url.slice(hash) : "";
    return base + "?hl=" + encodeURIComponent(hl.join(" ")) + anchor;
  }

  function snippetNode(segments) {
    var p = el("p", "search-result__snippet");
    segments.forEach(function (s) {
      p.appendChild(s.hit ? el("mark", "", s.text) : document.createTextNode(s.text));
    });
    return p;
  }

  // --- one combobox per search input ------------------------------------------------------
  var comboCount = 0;

  function Combo(input) {
    this.input = input;
    this.form = input.form;
    this.id = "search-listbox-" + ++comboCount;
    this.options = [];
    this.active = -1;
    this.last = null;
    this.pauseTimer = null;
    this.typeTimer = null;
    this.seq = 0;
    this.pageResults = input.closest(".search-page") ? document.querySelector("[data-search-results]") : null;
    this.build();
  }

  Combo.prototype.build = function () {
    var self = this;
    var input = this.input;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.id);
    this.list = el("ul", "search-dropdown");
    this.list.id = this.id;
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("aria-label", strings.search_suggestions);
    this.list.hidden = true;
    (this.form || input.parentNode).appendChild(this.list);
    this.status = el("div", "visually-hidden search-status");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    (this.form || input.parentNode).appendChild(this.status);

    input.addEventListener("focus", function () {
      startBackend();
      if (self.options.length && input.value.trim() && !self.pageResults) self.open();
    });
    input.addEventListener("input", function () {
      clearTimeout(self.typeTimer);
      self.typeTimer = setTimeout(function () {
        self.run(true);
      }, TYPE_DELAY_MS);
      clearTimeout(self.pauseTimer);
      self.pauseTimer = setTimeout(function () {
        self.run(false);
      }, PAUSE_MS);
    });
    input.addEventListener("keydown", function (e) {
      self.onKey(e);
    });
    input.addEventListener("blur", function () {
      setTimeout(function () {
        if (!self.list.contains(document.activeElement)) self.close();
      }, 150);
    });
    if (this.form) {
      this.form.addEventListener("submit", function (e) {
        if (self.pageResults) {
          e.preventDefault();
          self.run(false);
          var url = new URL(location.href);
          url.searchParams.set("q", input.value);
          history.replaceState(null, "", url.href);
        } else if (input.value.trim()) {
          self.run(false); // reports a failed search before the page changes, if it fails
        }
      });
    }
  };

  Combo.prototype.run = function (typing) {
    var self = this;
    var text = this.input.value;
    if (!typing) clearTimeout(this.pauseTimer);
    if (!text.trim()) {
      this.render(null);
      return;
    }
    var seq = ++this.seq;
    var page = !!this.pageResults;
    query(text, { typing: typing, limit: page ? PAGE_LIMIT : DROPDOWN_LIMIT, snippets: page }, function (found) {
      // Only the full index may say "nothing": the title index answers first.
      if (!typing && !found.results.length && found.full) reportFailed(text);
      if (seq !== self.seq) return; // a newer query is on its way
      self.last = { found: found, typing: typing };
      self.render(found);
      // The body index may have arrived while this answer (from titles only) was on its way.
      if (!found.full && bodyLoaded) self.run(typing);
    });
  };

  Combo.prototype.rerun = function () {
    if (this.last && this.input.value.trim()) this.run(this.last.typing);
  };

  Combo.prototype.render = function (found) {
    if (this.pageResults) return this.renderPage(found);
    var self = this;
    // Results are redrawn when the body index arrives: keep the option the reader is on.
    var keep = this.active >= 0 && this.options[this.active] ? this.options[this.active].dataset.href : null;
    this.list.textContent = "";
    this.options = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    if (!found) return this.close();
    if (found.switched) {
      var note = el("li", "search-dropdown__note", format(strings.search_showing_for, { query: found.switched }));
      note.setAttribute("role", "presentation");
      this.list.appendChild(note);
    }
    found.results.forEach(function (result, i) {
      var li = el("li", "search-dropdown__option");
      li.id = self.id + "-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      // Options hold no links (axe: nested-interactive); the option itself navigates.
      li.dataset.href = resultHref(result, found.words);
      var a = el("span", "search-dropdown__link");
      a.appendChild(el("span", "search-dropdown__title", result.title));
      if (result.heading) a.appendChild(el("span", "search-dropdown__heading", result.heading));
      if (result.path) a.appendChild(el("span", "search-dropdown__path", result.path));
      li.appendChild(a);
      li.addEventListener("mousedown", function (e) {
        e.preventDefault(); // keep focus in the input until the link is followed
      });
      li.addEventListener("click", function () {
        location.href = li.dataset.href;
      });
      self.list.appendChild(li);
      self.options.push(li);
    });
    if (!found.results.length) {
      var none = el("li", "search-dropdown__note", format(strings.search_no_results, { query: found.query }));
      none.setAttribute("role", "presentation");
      this.list.appendChild(none);
    } else {
      var all = el("li", "search-dropdown__option search-dropdown__all");
      all.id = this.id + "-all";
      all.setAttribute("role", "option");
      all.setAttribute("aria-selected", "false");
      all.dataset.href = config.searchPage + "?q=" + encodeURIComponent(this.input.value);
      all.appendChild(el("span", "search-dropdown__link", strings.search_show_all));
      all.addEventListener("mousedown", function (e) {
        e.preventDefault();
      });
      all.addEventListener("click", function () {
        location.href = all.dataset.href;
      });
      this.list.appendChild(all);
      this.options.push(all);
    }
    this.status.textContent = format(found.results.length ? strings.search_count : strings.search_no_results, {
      n: found.results.length,
      query: found.query,
    });
    if (document.activeElement === this.input) this.open();
    if (keep) {
      for (var i = 0; i < this.options.length; i++) {
        if (this.options[i].dataset.href === keep) this.setActive(i);
      }
    }
  };

  Combo.prototype.renderPage = function (found) {
    var box = this.pageResults;
    box.textContent = "";
    if (!found) return;
    var summary = el("p", "search-summary");
    summary.setAttribute("role", "status");
    if (found.switched) box.appendChild(el("p", "search-switched", format(strings.search_showing_for, { query: found.switched })));
    summary.textContent = found.results.length
      ? format(strings.search_count, { n: found.results.length, query: found.query })
      : format(strings.search_no_results, { query: found.query });
    box.appendChild(summary);
    var list = el("ol", "search-results");
    found.results.forEach(function (result) {
      var li = el("li", "search-result");
      var a = el("a", "search-result__link");
      a.href = resultHref(result, found.words);
      a.appendChild(el("span", "search-result__title", result.title));
      if (result.heading) a.appendChild(el("span", "search-result__heading", result.heading));
      var h = el("h2", "search-result__head");
      h.appendChild(a);
      li.appendChild(h);
      if (result.path) li.appendChild(el("p", "search-result__path", result.path));
      if (result.snippet && result.snippet.length) li.appendChild(snippetNode(result.snippet));
      list.appendChild(li);
    });
    box.appendChild(list);
  };

  Combo.prototype.open = function () {
    if (!this.list.childNodes.length) return;
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combo.prototype.close = function () {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.setActive(-1);
  };

  Combo.prototype.setActive = function (i) {
    if (this.active >= 0 && this.options[this.active]) this.options[this.active].setAttribute("aria-selected", "false");
    this.active = i;
    if (i >= 0 && this.options[i]) {
      this.options[i].setAttribute("aria-selected", "true");
      this.input.setAttribute("aria-activedescendant", this.options[i].id);
      this.options[i].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combo.prototype.onKey = function (e) {
    var count = this.options.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (this.pageResults || !count) return;
      e.preventDefault();
      this.open();
      var step = e.key === "ArrowDown" ? 1 : -1;
      var next = this.active + step;
      if (next >= count) next = -1;
      if (next < -1) next = count - 1;
      this.setActive(next);
    } else if (e.key === "Enter") {
      if (this.active >= 0 && !this.list.hidden) {
        e.preventDefault();
        location.href = this.options[this.active].dataset.href;
      }
    } else if (e.key === "Escape") {
      if (!this.list.hidden) {
        e.preventDefault();
        this.close();
      } else if (this.input.value) {
        e.preventDefault();
        this.input.value = "";
        this.render(null);
      }
    }
  };

  // --- highlighting on the page a result opened ------------------------------------------
  function highlightLanding() {
    var params = new URLSearchParams(location.search);
    var hl = params.get("hl");
    if (!hl) return;
    var needles = hl.toLowerCase().replace(/ё/g, "е").split(/\s+/).filter(function (w) {
      return w.length >= 2;
    });
    var scope = document.querySelector("main article") || document.querySelector("main");
    if (!scope || !needles.length) return;
    var wordRe = /[0-9A-Za-z\u00c0-\u024f\u0400-\u04ff]+/g;
    var walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) {
      var parent = walker.currentNode.parentNode;
      if (parent && !/^(SCRIPT|STYLE|MARK)$/.test(parent.nodeName)) nodes.push(walker.currentNode);
    }
    nodes.forEach(function (node) {
      var text = node.nodeValue;
      var pieces = [];
      var pos = 0;
      var m;
      wordRe.lastIndex = 0;
      while ((m = wordRe.exec(text))) {
        var word = m[0].toLowerCase().replace(/ё/g, "е");
        var hit = needles.some(function (n) {
          return word.indexOf(n) === 0;
        });
        if (!hit) continue;
        if (m.index > pos) pieces.push(document.createTextNode(text.slice(pos, m.index)));
        pieces.push(el("mark", "search-hit", m[0]));
        pos = m.index + m[0].length;
      }
      if (!pieces.length) return;
      if (pos < text.length) pieces.push(document.createTextNode(text.slice(pos)));
      var frag = document.createDocumentFragment();
      pieces.forEach(function (p) {
        frag.appendChild(p);
      });
      node.parentNode.replaceChild(frag, node);
    });
    params.delete("hl");
    var clean = location.pathname + (params.toString() ? "?" + params : "") + location.hash;
    history.replaceState(history.state, "", clean);
  }

  // --- start ---------------------------------------------------------------------------------
  var combos = Array.prototype.map.call(document.querySelectorAll("[data-search-input]"), function (input) {
    return new Combo(input);
  });
  listeners.push(function (msg) {
    if (msg.type === "body") {
      bodyLoaded = true;
      combos.forEach(function (c) {
        c.rerun(); // the full-text index arrived: refresh what is on screen
      });
    }
  });

  var pageCombo = combos.filter(function (c) {
    return c.pageResults;
  })[0];
  var initial = new URLSearchParams(location.search).get("q");
  if (pageCombo && initial) {
    combos.forEach(function (c) {
      c.input.value = initial;
    });
    pageCombo.run(false);
  }
  highlightLanding();
  if (combos.length) {
    var warm = function () {
      makeBackend();
    };
    // At the load event, not at idle: a reader who types as soon as the page is there would
    // otherwise wait for the worker to start (its scripts are 29 KB gzip; the index waits).
    if (document.readyState === "complete") warm();
    else window.addEventListener("load", warm);
  }

  window.HelpCenterSearch = {
    onFailedSearch: function (cb) {
      failedCallbacks.push(cb);
    },
    query: function (text, options, cb) {
      query(text, options || {}, cb);
    },
  };
})();
