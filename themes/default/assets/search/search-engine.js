/*
 * The search engine of one language: the title index answers at once, the body index joins
 * when it has loaded; results are ranked per page, grouped for display, retried in the other
 * keyboard layout when the words are unknown, and given snippets. DOM-free: it runs in the
 * search Web Worker, on the page, and in node (tests, benchmarks, `build.py search`).
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("./search-words.js"), require("./search-plan.js"));
  } else {
    // In the worker (and the on-page fallback) the parts share one namespace, loaded in order:
    // search-words.js, search-plan.js, search-engine.js, search-backend.js.
    var core = (root.HelpCenterSearchCore = root.HelpCenterSearchCore || {});
    var exported = factory(core, core);
    for (var name in exported) core[name] = exported[name];
  }
})(typeof self !== "undefined" ? self : this, function (words, plan) {
  "use strict";
  var normalizeText = words.normalizeText;
  var tokenize = words.tokenize;
  var switchLayout = words.switchLayout;
  var transliterate = words.transliterate;
  var WORD_CHAR_RE = words.WORD_CHAR_RE;
  var Words = words.Words;
  var registerPipeline = words.registerPipeline;
  var MIN_PREFIX = plan.MIN_PREFIX;
  var clausesFor = plan.clausesFor;
  var queryIndex = plan.queryIndex;
  var matchKind = plan.matchKind;
  var termMasks = plan.termMasks;
  var countBits = plan.countBits;
  var Vocabulary = plan.Vocabulary;
  var planQuery = plan.plan;
  var Crumbs = plan.Crumbs;
  var NO_CRUMB = { exact: 0, any: 0, score: 0 };
  var LATIN_SHARE = 2; // a known Latin word stays Latin when this many times more frequent
  var LN_WORD_WORTH = Math.log(10); // one more query word covered = ten times the score
  var CONTENT_WORTH = 0.5; // an article over a collection page: half a word
  var INTRO_WORTH = Math.log10(2); // a page's top over a section: as twice the score
  var MIN_SCORE = 0.01; // a covered word with no score still counts (log of 0)

  function Engine(lunr, head) {
    this.lunr = lunr;
    this.head = head;
    this.docs = head.docs;
    this.paths = head.paths;
    this.textShard = head.textShard;
    this.words = Words(lunr, head.stopWords);
    registerPipeline(lunr, this.words);
    this.pageOf = [];
    this.pageKeys = new Map();
    this.addPages(head.docs);
    this.indexes = [lunr.Index.load(head.index)];
    this.vocabulary = new Vocabulary();
    this.vocabulary.addIndex(this.indexes[0]);
    this.crumbs = new Crumbs(this.words, head.paths || [], head.docs);
  }

  /** Documents of one page (its intro and sections) share a page number: its URL sans anchor. */
  Engine.prototype.addPages = function (docs) {
    for (var i = 0; i < docs.length; i++) {
      var url = docs[i][1].split("#")[0];
      var key = this.pageKeys.get(url);
      if (key === undefined) {
        key = this.pageKeys.size;
        this.pageKeys.set(url, key);
      }
      this.pageOf.push(key);
    }
  };

  Engine.prototype.addBody = function (body) {
    this.docs = this.docs.concat(body.docs);
    this.addPages(body.docs);
    var index = this.lunr.Index.load(body.index);
    this.indexes.push(index);
    this.vocabulary.addIndex(index);
  };

  Engine.prototype.plan = function (text, options) {
    return planQuery(this.words, text, options, this.vocabulary);
  };

  /**
   * Rank pages for one plan. Every matched document gets its title-index score (article
   * intros and collections only) and its body-index score; an article's candidates are its
   * matched documents, each credited with the article's title score and title matches; the
   * best candidate stands for the article. Order: `strength` (query words covered, pages the
   * query names, articles before collections, and score, in one figure), then words covered
   * by exact (or prefix) matches, then document number.
   */
  Engine.prototype.rank = function (planned, headOnly) {
    var masksOf = termMasks(planned.parts);
    var hits = new Map();
    var indexes = headOnly ? this.indexes.slice(0, 1) : this.indexes;
    for (var n = 0; n < indexes.length; n++) {
      var results = queryIndex(this.lunr, indexes[n], clausesFor(planned.clauses, n));
      for (var r = 0; r < results.length; r++) {
        var result = results[r];
        var hit = hits.get(result.ref);
        if (hit === undefined) {
          hit = emptyHit(Number(result.ref));
          hits.set(result.ref, hit);
        }
        var exact = 0;
        var any = 0;
        var titled = 0;
        for (var term in result.matchData.metadata) {
          var masks = masksOf(term);
          exact |= masks[0];
          any |= masks[1];
          if (n === 0 && result.matchData.metadata[term].title) titled |= masks[0];
        }
        if (n === 0) {
          hit.head += result.score;
          hit.titled |= titled;
          hit.headExact |= exact;
          hit.headAny |= any;
        } else {
          hit.body += result.score;
          hit.bodyExact |= exact;
          hit.bodyAny |= any;
        }
      }
    }
    return this.rankPages(hits, this.crumbs.answer(masksOf, hits, emptyHit), (1 << planned.parts.length) - 1);
  };

  function emptyHit(ref) {
    return { ref: ref, head: 0, body: 0, titled: 0, headExact: 0, headAny: 0, bodyExact: 0, bodyAny: 0 };
  }

  /** The best candidate of every page among the matched documents, best page first. */
  Engine.prototype.rankPages = function (hits, crumbs, allBits) {
    var pageOf = this.pageOf;
    var docs = this.docs;
    var crumbOf = this.crumbs.of;
    var all = allBits;
    var pages = new Map();
    hits.forEach(function (hit) {
      var key = pageOf[hit.ref];
      var page = pages.get(key);
      if (page === undefined) {
        page = { intro: null, docs: [] };
        pages.set(key, page);
      }
      if (!docs[hit.ref][3]) page.intro = hit;
      page.docs.push(hit);
    });
    var ranked = [];
    pages.forEach(function (page) {
      var intro = page.intro;
      var titleExact = intro ? intro.headExact : 0;
      var titleAny = intro ? intro.headAny : 0;
      var titleScore = intro ? intro.head : 0;
      var crumb = (intro && crumbs.get(crumbOf[intro.ref])) || NO_CRUMB;
      // The whole query names the page's collection ("Kubernetes") or the page itself: such
      // pages come before pages that only mention the words, whatever their scores.
      var named = crumb.exact === all || (intro && intro.titled === all) ? 1 : 0;
      // A collection page is a list of links: an article covering the query as well holds the
      // answer itself. A collection whose own title is the query ("Kubernetes") keeps its place.
      var content = docs[page.docs[0].ref][0] !== "c" || (intro && intro.titled === all) ? 1 : 0;
      titleExact |= crumb.exact;
      titleAny |= crumb.any;
      titleScore += crumb.score;
      var best = null;
      for (var i = 0; i < page.docs.length; i++) {
        var hit = page.docs[i];
        var candidate = {
          ref: hit.ref,
          score: titleScore + hit.body,
          exact: countBits(titleExact | hit.bodyExact),
          covered: countBits(titleAny | hit.bodyAny),
          named: named,
          content: content,
          intro: docs[hit.ref][0] !== "c" && !docs[hit.ref][3] ? 1 : 0, // an article's top
        };
        candidate.strength = strength(candidate);
        if (!best || compare(candidate, best) < 0) best = candidate;
      }
      ranked.push(best);
    });
    ranked.sort(compare);
    return ranked;
  };

  /**
   * How well a candidate answers: each query word it covers counts as much as ten times the
   * score, so a page missing a word can still pass one that only mentions every word in
   * passing ("не могу подключиться к вм по rdp": «Проблема с подключением к ВМ по RDP», score
   * 69, over a FAQ that has "могу" too, score 6). A page the query names gets one more word's
   * worth, an article (not a list of links) half of one. An article's top (title and intro)
   * counts as twice its score against a section, of its own page or another's: a section that
   * shares the query's words with a page's title is more often a detail of a neighbouring
   * topic ("Режимы MLflow § Связка с JupyterHub" for "запустить mlflow отдельно без
   * jupyterhub", whose answer is «Создание инстанса MLflow»). Computed once per candidate: the
   * sort compares thousands of them. Measured on both query sets against "coverage first, then score":
   * holdout MRR@10 0.80 -> 0.81, translit recall@5 0.91 -> 0.93, base 0.94 -> 0.95, no kind
   * worse; the page's top at twice its score: holdout 0.829 -> 0.842, base 0.945 -> 0.949
   * (a factor of 1.4 or 2.2: 0.832-0.841 and 0.946-0.950; bench/README.md).
   */
  function strength(hit) {
    return hit.covered + hit.named + CONTENT_WORTH * hit.content + INTRO_WORTH * hit.intro + Math.log(Math.max(hit.score, MIN_SCORE)) / LN_WORD_WORTH;
  }

  function compare(a, b) {
    return b.strength - a.strength || b.exact - a.exact || a.ref - b.ref;
  }

  /** The first `limit` ranked pages, described for display. */
  Engine.prototype.group = function (ranked, limit) {
    var self = this;
    return ranked.slice(0, limit).map(function (hit) {
      return self.describe(hit);
    });
  };

  Engine.prototype.describe = function (hit) {
    var doc = this.docs[hit.ref];
    return {
      ref: hit.ref,
      kind: doc[0] === "c" ? "collection" : "article",
      url: doc[1],
      title: doc[2],
      heading: doc[3],
      path: this.paths[doc[4]] || "",
      source: doc[5],
      score: Math.round(hit.score * 10000) / 10000,
      exact: hit.exact,
      covered: hit.covered,
    };
  };

  /**
   * Search one query text. `typing`: the last word may be unfinished (type-ahead). When nothing
   * matches exactly, the text re-typed in the other keyboard layout is tried and, if it finds
   * more, returned with `switched` set to that text.
   */
  Engine.prototype.search = function (text, options) {
    options = options || {};
    var limit = options.limit || 10;
    var planned = this.plan(text, options);
    var ranked = null;
    if (options.typing && this.indexes.length > 1) {
      // Type-ahead: when titles alone fill the list with pages matching every word, the
      // body index (ten times the postings) would only reorder below the fold; skip it.
      ranked = this.rank(planned, true);
      var top = ranked[0];
      if (!(top && top.exact === planned.parts.length && ranked.length >= limit)) ranked = null;
    }
    if (!ranked) ranked = this.rank(planned);
    var bestExact = ranked.length ? ranked[0].exact : 0;
    var switched = null;
    if (bestExact < planned.parts.length) {
      // Unknown words re-read: typed in the other keyboard layout, or Russian in Latin letters.
      var share = bestExact / Math.max(1, planned.parts.length);
      var rereads = [this.switchUnknown(text, options), this.transliterateUnknown(text, options)];
      for (var k = 0; k < rereads.length; k++) {
        var other = rereads[k];
        if (other === null) continue;
        var otherPlan = this.plan(other, options);
        var otherRanked = this.rank(otherPlan);
        // compared as shares: "в" is a stop word, "d" was a word of its own
        var otherShare = otherRanked.length ? otherRanked[0].exact / Math.max(1, otherPlan.parts.length) : 0;
        if (otherShare > share) {
          planned = otherPlan;
          ranked = otherRanked;
          switched = other;
          share = otherShare;
        }
      }
    }
    return {
      query: text,
      switched: switched,
      words: planned.parts,
      total: ranked.length,
      results: this.group(ranked, limit),
    };
  };

  /** Is every word of this chunk of the query a known term (or, while typing, a prefix)? */
  Engine.prototype.knownWords = function (chunk, last) {
    var self = this;
    var words = tokenize(chunk);
    var known = 0;
    words.forEach(function (word, i) {
      var prefix = last && i === words.length - 1;
      if (self.words.isStop(word) || self.vocabulary.has(self.words.stem(word))) known++;
      else if (prefix && word.length >= MIN_PREFIX && self.vocabulary.hasPrefix(word)) known++;
    });
    return { known: known, total: words.length };
  };

  /**
   * The query with each unknown whitespace-separated chunk re-typed in the other keyboard
   * layout when that makes it known; null when nothing changes. Chunk by chunk, because a
   * reader in the wrong layout garbles the Russian words while "Kubernetes" stays right;
   * before tokenizing, because ",fkfyc" needs its comma (б).
   */
  Engine.prototype.switchUnknown = function (text, options) {
    var self = this;
    var chunks = text.split(/(\s+)/);
    var changed = false;
    var lastWord = chunks.length - 1;
    while (lastWord > 0 && !chunks[lastWord].trim()) lastWord--;
    var scores = chunks.map(function (chunk, i) {
      if (!chunk.trim()) return null;
      var typing = !!(options && options.typing) && i === lastWord;
      var mine = self.knownWords(chunk, typing);
      var other = switchLayout(chunk);
      var theirs = self.knownWords(other, typing);
      return {
        other: other,
        mine: mine.total ? mine.known / mine.total : 0,
        theirs: theirs.total ? theirs.known / theirs.total : 0,
      };
    });
    // A chunk switches when that makes more of it known; once one has, a tie ("d" is a term
    // and "в" a stop word) switches too, since the whole query was typed in one layout.
    var out = chunks.map(function (chunk, i) {
      var sc = scores[i];
      if (sc && sc.mine < 1 && sc.theirs > sc.mine) {
        changed = true;
        return sc.other;
      }
      return chunk;
    });
    if (!changed) return null;
    return out
      .map(function (chunk, i) {
        var sc = scores[i];
        return sc && chunk !== sc.other && sc.theirs > 0 && sc.theirs >= sc.mine ? sc.other : chunk;
      })
      .join("");
  };

  /**
   * The query with its unknown Latin words read as transliterated Russian ("kak vernut dengi"
   * → "как вернут денги"), each word in the first reading the index knows; null when no word
   * becomes known. Once one does, the other unknown Latin words take their usual reading, for
   * the typo correction to finish (денги → деньги); known words ("Kubernetes", "s3") stay.
   */
  Engine.prototype.transliterateUnknown = function (text, options) {
    var self = this;
    var typing = !!(options && options.typing);
    var words = tokenize(text);
    var unfinished = typing && words.length && WORD_CHAR_RE.test(normalizeText(text));
    var read = false;
    var found = words.map(function (word, i) {
      var prefix = unfinished && i === words.length - 1;
      var readings = transliterate(word);
      var known = self.isKnown(word, prefix);
      for (var r = 0; r < readings.length; r++) {
        if (self.isKnown(readings[r], prefix)) {
          if (!known) read = true;
          else if (!prefix && !self.readsBetter(readings[r], word)) break;
          return { word: word, known: known, reading: readings[r] };
        }
      }
      return { word: word, known: known, reading: known ? null : readings[0] || null };
    });
    if (!read) return null;
    // The query is transliterated Russian: a Latin word with a known reading takes it too
    // ("disk" is a term of a Russian index, "диск" the one its pages use), unless the pages
    // write that word in Latin (readsBetter).
    var out = found.map(function (w) {
      return w.reading || w.word;
    });
    // Joined with spaces: punctuation and case do not change the terms.
    return out.join(" ") + (unfinished ? "" : " ").trimEnd();
  };

  /**
   * Does a known Latin word of a transliterated query read as Russian: yes ("disk" → "диск",
   * "limit" → "лимит"), unless the pages clearly write it in Latin, in at least twice as many
   * documents ("Data Lakehouse" is no "дата", "VK Cloud" no "вк"). A stop word reading drops
   * out of the query, as the word should.
   */
  Engine.prototype.readsBetter = function (reading, word) {
    if (this.words.isStop(reading)) return true;
    var df = this.vocabulary.df.bind(this.vocabulary);
    return df(this.words.stem(word)) < LATIN_SHARE * df(this.words.stem(reading));
  };

  /** A stop word, an index term once stemmed, or (`prefix`) the start of an index term. */
  Engine.prototype.isKnown = function (word, prefix) {
    if (this.words.isStop(word) || this.vocabulary.has(this.words.stem(word))) return true;
    return !!prefix && word.length >= MIN_PREFIX && this.vocabulary.hasPrefix(word);
  };

  Engine.prototype.shardOf = function (ref) {
    return Math.floor(ref / this.textShard);
  };

  /** Does a text word (normalised) answer one of the query words? */
  Engine.prototype.wordMatches = function (parts, word) {
    if (this.words.isStop(word)) return false;
    var stem = this.words.stem(word);
    for (var i = 0; i < parts.length; i++) {
      if (matchKind(parts[i], stem) > 0 || (parts[i].prefix && word.indexOf(parts[i].word) === 0)) return true;
    }
    return false;
  };

  /**
   * A window of `text` around the densest matches, as segments [{text, hit}] for the caller to
   * render safely (no HTML is built here).
   */
  Engine.prototype.snippet = function (text, parts, length) {
    length = length || 180;
    var spans = [];
    // eslint-disable-next-line no-misleading-character-class -- combining marks are word characters on their own here
    var re = /[0-9A-Za-z\u00c0-\u024f\u0400-\u04ff\u00ad\u0300-\u036f]+/g;
    var m;
    while ((m = re.exec(text))) {
      var word = normalizeText(m[0]);
      if (word && this.wordMatches(parts, word)) spans.push([m.index, m.index + m[0].length]);
    }
    var start = 0;
    if (spans.length) {
      var best = 0;
      var bestCount = -1;
      for (var i = 0; i < spans.length; i++) {
        var count = 0;
        for (var j = i; j < spans.length && spans[j][1] - spans[i][0] <= length; j++) count++;
        if (count > bestCount) {
          bestCount = count;
          best = i;
        }
      }
      start = Math.max(0, spans[best][0] - 40);
      var space = text.lastIndexOf(" ", start);
      if (start > 0 && space > start - 20) start = space + 1;
    }
    var end = Math.min(text.length, start + length);
    var cut = text.indexOf(" ", end);
    if (end < text.length && cut > 0 && cut < end + 20) end = cut;
    var segments = [];
    var pos = start;
    spans.forEach(function (s) {
      if (s[1] <= start || s[0] >= end) return;
      if (s[0] > pos) segments.push({ text: text.slice(pos, s[0]), hit: false });
      segments.push({ text: text.slice(Math.max(s[0], pos), s[1]), hit: true });
      pos = s[1];
    });
    if (pos < end) segments.push({ text: text.slice(pos, end), hit: false });
    if (start > 0) segments.unshift({ text: "…", hit: false });
    if (end < text.length) segments.push({ text: "…", hit: false });
    return segments;
  };

  return {
    Engine: Engine,
    createEngine: function (lunr, head) {
      return new Engine(lunr, head);
    },
  };
});
