/*
 * The search service the page talks to by messages (see Backend below), over one Engine.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("./search-engine.js"));
  } else {
    // In the worker (and the on-page fallback) the parts share one namespace, loaded in order:
    // search-words.js, search-plan.js, search-engine.js, search-backend.js.
    var core = (root.HelpCenterSearchCore = root.HelpCenterSearchCore || {});
    var exported = factory(core);
    for (var name in exported) core[name] = exported[name];
  }
})(typeof self !== "undefined" ? self : this, function (engine) {
  "use strict";
  var Engine = engine.Engine;

  /**
   * The search service the page talks to by messages, in a Web Worker (search-worker.js) or,
   * where workers are unavailable, on the page itself. `fetchJson(url)` returns a promise.
   * Messages in: {type:"init", index: "<url of _search/<lang>/>", head: <index.json bytes,
   * optional>}, {type:"query", id, q, typing, limit, snippets}. Out: {type:"ready"|"body"|"error"} and {type:"results", id, …}.
   */
  function Backend(lunr, fetchJson, post) {
    this.lunr = lunr;
    this.fetchJson = fetchJson;
    this.post = post;
    this.engine = null;
    this.pending = null;
    this.shards = new Map();
  }

  Backend.prototype.handle = function (msg) {
    var self = this;
    if (msg.type === "init") {
      this.base = msg.index;
      var started = Date.now();
      this.head(msg)
        .then(function (head) {
          var fetched = Date.now() - started;
          self.engine = new Engine(self.lunr, head);
          self.post({ type: "ready", docs: head.docs.length, fetched: fetched, ms: Date.now() - started, at: Date.now() });
          if (self.pending) self.query(self.pending);
          self.pending = null;
          return self.fetchJson(self.base + "body.json");
        })
        .then(function (body) {
          self.engine.addBody(body);
          self.post({ type: "body", ms: Date.now() - started });
        })
        .catch(function (err) {
          self.post({ type: "error", message: String(err) });
        });
    } else if (msg.type === "query") {
      if (this.engine) this.query(msg);
      else this.pending = msg;
    }
  };

  /**
   * The title index: the bytes the page fetched and handed over with "init" (while this worker
   * was still starting), or fetched here when the page could not.
   */
  Backend.prototype.head = function (msg) {
    if (!msg.head) return this.fetchJson(this.base + "index.json");
    var bytes = msg.head;
    return Promise.resolve().then(function () {
      return JSON.parse(new TextDecoder().decode(bytes));
    });
  };

  Backend.prototype.text = function (ref) {
    var self = this;
    var n = this.engine.shardOf(ref);
    if (!this.shards.has(n)) this.shards.set(n, this.fetchJson(this.base + "text/" + n + ".json"));
    return this.shards.get(n).then(function (shard) {
      return shard[ref % self.engine.textShard] || "";
    });
  };

  Backend.prototype.query = function (msg) {
    var self = this;
    var started = Date.now();
    var found = this.engine.search(msg.q, { typing: msg.typing, limit: msg.limit });
    found.id = msg.id;
    found.type = "results";
    found.full = this.engine.indexes.length > 1;
    var done = Promise.resolve();
    if (msg.snippets) {
      done = Promise.all(
        found.results.map(function (r) {
          return self.text(r.ref).then(function (text) {
            r.snippet = self.engine.snippet(text, found.words);
          });
        })
      );
    }
    done.then(function () {
      found.ms = Date.now() - started;
      self.post(found);
    });
  };

  return {
    Backend: Backend,
  };
});
