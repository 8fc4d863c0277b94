/*
 * Query planning: one query text → lunr clauses (an exact stem clause per word, a prefix clause
 * for the word being typed, typo corrections from the index's vocabulary), and the bookkeeping
 * of which query words an index term answers. Runs the clauses on one lunr index too.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory(require("./search-words.js"));
  } else {
    // In the worker (and the on-page fallback) the parts share one namespace, loaded in order:
    // search-words.js, search-plan.js, search-engine.js, search-backend.js.
    var core = (root.HelpCenterSearchCore = root.HelpCenterSearchCore || {});
    var exported = factory(core);
    for (var name in exported) core[name] = exported[name];
  }
})(typeof self !== "undefined" ? self : this, function (words) {
  "use strict";
  var WORD_CHAR_RE = words.WORD_CHAR_RE;
  var normalizeText = words.normalizeText;
  var tokenize = words.tokenize;
  var distance = words.distance;
  var prefixDistance = words.prefixDistance;

  // Ranking knobs, chosen with bench/search_quality.py (see bench/README.md).
  var BOOST_EXACT = 10;
  var BOOST_PREFIX = 8;
  var BOOST_TYPO = 10; // as heavy as the word meant; "exact" still ranks true spellings first
  var MIN_PREFIX = 2; // a one-letter prefix expands to thousands of terms
  var BOOST_STEM_PREFIX = 5;
  var MIN_STEM_PREFIX = 4;
  var TYPO_MIN = 4; // letters before one typo is forgiven
  var TYPO2_MIN = 8; // letters before two typos are forgiven
  var MAX_CORRECTIONS = 4;
  var CRUMB_BOOST = 1; // per breadcrumb word, times its rarity among the pages
  var MAX_WORDS = 30; // words of a query that count; rank() keeps one bit per word

  /**
   * The clauses for one query text: per word an exact stem clause, a prefix clause for the word
   * being typed, and typo clauses for long words. Also the words, for matching and highlighting.
   */
  function plan(words, text, options, vocabulary) {
    var typing = options && options.typing;
    var tokens = tokenize(text);
    var unfinished = typing && WORD_CHAR_RE.test(normalizeText(text));
    if (tokens.length > MAX_WORDS) {
      // pasted text, not a query: its first words bound the work (and fit the bit masks)
      tokens = tokens.slice(0, MAX_WORDS);
      unfinished = false;
    }
    var parts = [];
    tokens.forEach(function (word, i) {
      var last = i === tokens.length - 1;
      if (words.isStop(word) && !(last && unfinished)) return;
      parts.push({ word: word, stem: words.stem(word), prefix: last && unfinished });
    });
    if (!parts.length) {
      // only stop words: search them anyway rather than show nothing
      tokens.forEach(function (word) {
        parts.push({ word: word, stem: words.stem(word), prefix: false });
      });
    }
    var clauses = [];
    var seen = new Set();
    function add(clause) {
      var key = clause.term + "|" + clause.wildcard + "|" + clause.editDistance;
      if (seen.has(key)) return;
      seen.add(key);
      clauses.push(clause);
    }
    parts.forEach(function (part) {
      add({ term: part.stem, boost: BOOST_EXACT, editDistance: 0, wildcard: 0 });
      // The word being typed, first: when it equals its stem, this clause (on both indexes)
      // must win the de-duplication against the titles-only stem prefix below.
      if (part.prefix && part.word.length >= MIN_PREFIX) {
        add({ term: part.word, boost: BOOST_PREFIX, editDistance: 0, wildcard: 2 });
      }
      // Derived forms share the stem as a prefix where the stemmer stops short:
      // подключиться → "подключ", подключение → "подключен".
      // Titles only: in the body index these expansions of common stems (созда*, перв*)
      // doubled the time of long queries and changed no answer of the quality set.
      if (part.stem.length >= MIN_STEM_PREFIX) {
        add({ term: part.stem, boost: BOOST_STEM_PREFIX, editDistance: 0, wildcard: 2, headOnly: true });
      }
      // Typos: lunr's own fuzzy clauses (editDistance 2 on a long word) cost 60 ms in node on
      // vkcloud, so unknown words are corrected here against the index's vocabulary instead,
      // and the corrections searched as plain terms, as heavy as the word: at a tenth of it a
      // misspelled key word ("бакеатм") weighed nothing and the other words ordered the pages.
      var typos = typoBudget(part);
      if (typos && vocabulary && !vocabulary.has(part.stem) && !(part.prefix && vocabulary.hasPrefix(part.word))) {
        part.corrections = vocabulary.near(part.stem, typos, part.word);
        part.corrections.forEach(function (term) {
          add({ term: term, boost: BOOST_TYPO, editDistance: 0, wildcard: 0 });
        });
      }
    });
    return { parts: parts, clauses: clauses };
  }

  /** The clauses that run on index number `n` (0: titles, 1: body). */
  function clausesFor(clauses, n) {
    return n === 0
      ? clauses
      : clauses.filter(function (c) {
          return !c.headOnly;
        });
  }

  /** lunr's own results of `clauses` on one index (ref, score, matchData), in lunr's order. */
  function queryIndex(lunr, index, clauses) {
    if (!clauses.length) return [];
    return index.query(function (q) {
      clauses.forEach(function (c) {
        var options = {
          boost: c.boost,
          wildcard: c.wildcard ? lunr.Query.wildcard.TRAILING : lunr.Query.wildcard.NONE,
          usePipeline: false,
        };
        // lunr.js tests `'editDistance' in clause`: even 0 makes it a fuzzy match, where the
        // trailing "*" is a literal star and a prefix finds nothing (lunr.py tests the value).
        if (c.editDistance) options.editDistance = c.editDistance;
        q.term(c.term, options);
      });
    });
  }

  /** Raw lunr results of `clauses` on one index: [{ref, score, terms}] (the parity test's view). */
  function runClauses(lunr, index, clauses) {
    return queryIndex(lunr, index, clauses).map(function (r) {
      return { ref: r.ref, score: r.score, terms: Object.keys(r.matchData.metadata) };
    });
  }

  /** Which query words a matched index term answers: 2 exact/prefix, 1 typo, 0 none. */
  function matchKind(part, term) {
    if (term === part.stem) return 2;
    if (part.stem.length >= MIN_STEM_PREFIX && term.indexOf(part.stem) === 0) return 2;
    if (part.prefix && part.word.length >= MIN_PREFIX && term.indexOf(part.word) === 0) return 2;
    if (part.corrections && part.corrections.indexOf(term) >= 0) return 1;
    return 0;
  }

  /**
   * Which query words each index term answers, as two bit masks (bit i: word i): exact or
   * prefix matches, and any match (typos too). Bits keep the per-document bookkeeping of a
   * query with thousands of matching sections to a few integer operations.
   */
  function termMasks(parts) {
    var cache = new Map();
    return function (term) {
      var masks = cache.get(term);
      if (masks === undefined) {
        var exact = 0;
        var any = 0;
        for (var i = 0; i < parts.length; i++) {
          var kind = matchKind(parts[i], term);
          if (kind === 2) exact |= 1 << i;
          if (kind > 0) any |= 1 << i;
        }
        masks = [exact, any];
        cache.set(term, masks);
      }
      return masks;
    };
  }

  function countBits(n) {
    var count = 0;
    for (; n; count++) n &= n - 1;
    return count;
  }

  /** The terms of the loaded indexes, by length, for typo corrections. */
  function Vocabulary() {
    this.indexes = [];
    this.terms = new Set();
    this.byLength = new Map();
  }

  Vocabulary.prototype.addIndex = function (index) {
    var self = this;
    this.indexes.push(index);
    this.sorted = null;
    Object.keys(index.invertedIndex).forEach(function (term) {
      if (self.terms.has(term)) return;
      self.terms.add(term);
      if (!self.byLength.has(term.length)) self.byLength.set(term.length, []);
      self.byLength.get(term.length).push(term);
    });
  };

  /** Documents containing `term`, over all loaded indexes (only asked for corrections). */
  Vocabulary.prototype.df = function (term) {
    var count = 0;
    this.indexes.forEach(function (index) {
      var posting = index.invertedIndex[term];
      if (!posting) return;
      Object.keys(posting).forEach(function (field) {
        if (field !== "_index") count += Object.keys(posting[field]).length;
      });
    });
    return count;
  };

  Vocabulary.prototype.has = function (term) {
    return this.terms.has(term);
  };

  Vocabulary.prototype.hasPrefix = function (prefix) {
    if (!this.sorted) this.sorted = Array.from(this.terms).sort();
    var lo = 0;
    var hi = this.sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (this.sorted[mid] < prefix) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.sorted.length && this.sorted[lo].indexOf(prefix) === 0;
  };

  /**
   * Up to MAX_CORRECTIONS terms within `limit` edits of the stem: nearest first, then most
   * frequent. When none is, terms within `limit` edits of a prefix of the typed `word`: a
   * misspelled word's stem is unreliable ("созадть" stems to "созадт", two edits from "созда").
   */
  Vocabulary.prototype.near = function (term, limit, word) {
    var found = this.within(term.length - limit, term.length + limit, term, limit, function (candidate) {
      return distance(term, candidate, limit);
    });
    if (!found.length && word) {
      found = this.within(stemFloor(word), word.length + limit, term, limit, function (candidate) {
        return prefixDistance(word, candidate, limit);
      });
    }
    return found
      .slice(0, MAX_CORRECTIONS)
      .map(function (pair) {
        return pair[1];
      });
  };

  /** [edits, term] of the terms `shortest`…`longest` letters long within `limit` edits, nearest and most frequent first. */
  Vocabulary.prototype.within = function (shortest, longest, term, limit, edits) {
    var found = [];
    for (var len = Math.max(1, shortest); len <= longest; len++) {
      (this.byLength.get(len) || []).forEach(function (candidate) {
        if (candidate[0] !== term[0] && candidate[1] !== term[1]) return; // typos rarely hit both first letters
        var d = edits(candidate);
        if (d <= limit) found.push([d, candidate]);
      });
    }
    var self = this;
    found.forEach(function (pair) {
      pair.push(self.df(pair[1]));
    });
    found.sort(function (a, b) {
      return a[0] - b[0] || b[2] - a[2] || (a[1] < b[1] ? -1 : 1);
    });
    return found;
  };

  /**
   * The shortest stem a typed word is matched against by its prefix: Russian endings run to
   * five letters (подключиться → подключ), and a stem shorter than half the word is another word.
   */
  function stemFloor(word) {
    return Math.max(TYPO_MIN, word.length - 5, Math.ceil(word.length / 2));
  }

  /**
   * The collection paths (breadcrumbs) of the title index's pages: a query that names a product
   * or a section ("Kubernetes", "Объектное хранилище") ranks that collection's pages first, as
   * if each page's title carried its breadcrumb, without a field for it in the index (that cost
   * 15 % on the first-keystroke download). `docs` are the title index's rows, path number at 4.
   */
  function Crumbs(words, paths, docs) {
    function termsOf(text, terms) {
      tokenize(text).forEach(function (word) {
        var term = words.term(word);
        if (term !== null && terms.indexOf(term) < 0) terms.push(term);
      });
      return terms;
    }
    var self = this;
    this.terms = paths.map(function (path) {
      return termsOf(path, []);
    });
    this.pages = paths.map(function () {
      return [];
    });
    this.of = []; // title-index row → its breadcrumb's number
    docs.forEach(function (doc, ref) {
      var n = doc[4];
      if (doc[0] === "c") {
        // A collection's own breadcrumb ends with its title: "Kubernetes" names its page too.
        n = self.terms.length;
        self.terms.push(termsOf(doc[2], (self.terms[doc[4]] || []).slice()));
        self.pages.push([]);
      }
      if (self.pages[n]) self.pages[n].push(ref);
      self.of.push(n);
    });
    // How many pages a breadcrumb word covers: "Пошаговые инструкции" sits in every product.
    var share = new Map();
    this.terms.forEach(function (terms, n) {
      terms.forEach(function (term) {
        share.set(term, (share.get(term) || 0) + self.pages[n].length);
      });
    });
    var total = Math.max(1, docs.length);
    this.weight = new Map();
    share.forEach(function (count, term) {
      self.weight.set(term, Math.log(1 + total / Math.max(1, count)));
    });
  }

  /**
   * For the paths some query word names: Map path number → {exact, any, score} (bit masks of
   * the words, as termMasks gives them). Their pages join `hits` (a Map ref → hit, made by
   * `emptyHit`) when lunr did not find them, so a page is found by its breadcrumb alone.
   */
  Crumbs.prototype.answer = function (masksOf, hits, emptyHit) {
    var out = new Map();
    for (var n = 0; n < this.terms.length; n++) {
      var crumb = null;
      var terms = this.terms[n];
      for (var t = 0; t < terms.length; t++) {
        var masks = masksOf(terms[t]);
        if (!masks[1]) continue;
        if (!crumb) crumb = { exact: 0, any: 0, score: 0 };
        crumb.exact |= masks[0];
        crumb.score += (masks[1] & ~crumb.any ? CRUMB_BOOST : 0) * this.weight.get(terms[t]);
        crumb.any |= masks[1];
      }
      if (!crumb) continue;
      out.set(n, crumb);
      var pages = this.pages[n];
      for (var p = 0; p < pages.length; p++) {
        if (!hits.has(String(pages[p]))) hits.set(String(pages[p]), emptyHit(pages[p]));
      }
    }
    return out;
  };

  /**
   * Edits forgiven in one query word: 1 from 4 letters, 2 from 8. Counted on the stem too,
   * because the fuzzy match runs on stems: "обьем" stems to "об", and "об" within one edit
   * is half the dictionary.
   */
  function typoBudget(part) {
    if (/\d/.test(part.word) || part.stem.length < TYPO_MIN - 1) return 0;
    if (part.word.length >= TYPO2_MIN && part.stem.length >= TYPO2_MIN - 2) return 2;
    return part.word.length >= TYPO_MIN ? 1 : 0;
  }

  return {
    MIN_PREFIX: MIN_PREFIX,
    plan: plan,
    clausesFor: clausesFor,
    queryIndex: queryIndex,
    runClauses: runClauses,
    matchKind: matchKind,
    termMasks: termMasks,
    countBits: countBits,
    Vocabulary: Vocabulary,
    Crumbs: Crumbs,
  };
});
