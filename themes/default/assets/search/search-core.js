/*
 * The help centre's search, without the DOM: words → lunr clauses → ranked, grouped results
 * with snippets. Runs in the search Web Worker, on the page, and in node (tests, benchmarks,
 * `build.py search`), always with the vendored lunr.js 2.3.9 + lunr-languages 1.22.0.
 *
 * Word rules mirror builder/search_lang.py exactly (tests/test_search_parity.py checks every
 * word of the corpora): NFC, lower case, ё→е, tokens of [0-9a-z À-ɏ Ѐ-ӿ], stop words from the
 * index file, Russian snowball stemmer for all-Cyrillic words, lunr's Porter for a-z words.
 */
(function (root, factory) {
  var core = factory();
  if (typeof module === "object" && module.exports) module.exports = core;
  else root.HelpCenterSearchCore = core;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var TOKEN_RE = /[0-9a-z\u00c0-\u024f\u0400-\u04ff]+/g;
  var INVISIBLE_RE = /[\u00ad\u200b\u200c\u200d\u2060\ufeff]/g;
  var CYRILLIC_RE = /^[\u0400-\u04ff]+$/;
  var LATIN_RE = /^[a-z]+$/;
  var WORD_CHAR_RE = /[0-9a-z\u00c0-\u024f\u0400-\u04ff]$/;

  // Ranking knobs, chosen with bench/search_quality.py (see bench/README.md).
  var BOOST_EXACT = 10;
  var BOOST_PREFIX = 8;
  var BOOST_TYPO = 1;
  var MIN_PREFIX = 2; // a one-letter prefix expands to thousands of terms
  var BOOST_STEM_PREFIX = 5;
  var MIN_STEM_PREFIX = 4;
  var TYPO_MIN = 4; // letters before one typo is forgiven
  var TYPO2_MIN = 8; // letters before two typos are forgiven
  var MAX_CORRECTIONS = 4;
  var MAX_WORDS = 30; // words of a query that count; rank() keeps one bit per word

  var EN_KEYS = "`qwertyuiop[]asdfghjkl;'zxcvbnm,.";
  var RU_KEYS = "ёйцукенгшщзхъфывапролджэячсмитьбю";

  function normalizeText(text) {
    return String(text).normalize("NFC").toLowerCase().replace(INVISIBLE_RE, "").replace(/ё/g, "е");
  }

  function tokenize(text) {
    return normalizeText(text).match(TOKEN_RE) || [];
  }

  /** Re-type `text` as if the keyboard had been in the other layout (ru ⇄ en). */
  function switchLayout(text) {
    var lower = String(text).toLowerCase();
    var cyrillic = (lower.match(/[\u0400-\u04ff]/g) || []).length;
    var latin = (lower.match(/[a-z]/g) || []).length;
    var from = cyrillic > latin ? RU_KEYS : EN_KEYS;
    var to = cyrillic > latin ? EN_KEYS : RU_KEYS;
    var out = "";
    for (var i = 0; i < lower.length; i++) {
      var at = from.indexOf(lower[i]);
      out += at >= 0 ? to[at] : lower[i];
    }
    return out;
  }

  /** Edit distance counting a swap of neighbours as one edit; limit+1 once it exceeds limit. */
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var before = null;
    var prev = [];
    for (var j = 0; j <= b.length; j++) prev.push(j);
    for (var i = 1; i <= a.length; i++) {
      var cur = [i];
      var best = i;
      for (var k = 1; k <= b.length; k++) {
        var v = Math.min(prev[k] + 1, cur[k - 1] + 1, prev[k - 1] + (a[i - 1] === b[k - 1] ? 0 : 1));
        if (before && k > 1 && a[i - 1] === b[k - 2] && a[i - 2] === b[k - 1]) v = Math.min(v, before[k - 2] + 1);
        cur.push(v);
        if (v < best) best = v;
      }
      if (best > limit) return limit + 1;
      before = prev;
      prev = cur;
    }
    return prev[b.length];
  }

  /** Word rules bound to one lunr instance (its stemmers) and one index's stop words. */
  function Words(lunr, stopWords) {
    var stops = new Set(stopWords || []);
    var cache = new Map();
    function stem(word) {
      var hit = cache.get(word);
      if (hit !== undefined) return hit;
      var out = word;
      if (CYRILLIC_RE.test(word)) out = lunr.ru.stemmer(word);
      else if (LATIN_RE.test(word)) out = lunr.stemmer(new lunr.Token(word)).toString();
      cache.set(word, out);
      return out;
    }
    return {
      stem: stem,
      isStop: function (word) {
        return stops.has(word);
      },
      /** The index term of one word, or null for a stop word (same as search_lang.index_terms). */
      term: function (word) {
        return stops.has(word) ? null : stem(word);
      },
    };
  }

  /** Register `hc-term`, the search pipeline the index files name, before lunr.Index.load. */
  function registerPipeline(lunr, words) {
    var fn = function (token) {
      var found = tokenize(token.toString());
      if (!found.length) return undefined;
      var term = words.term(found[0]);
      if (term === null) return undefined;
      return token.update(function () {
        return term;
      });
    };
    // Set directly rather than with registerFunction, which warns when a second language's
    // engine replaces the first one's function in the same page or node process.
    fn.label = "hc-term";
    lunr.Pipeline.registeredFunctions["hc-term"] = fn;
  }

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
      // and the corrections searched as plain terms with a low boost.
      var typos = typoBudget(part);
      if (typos && vocabulary && !vocabulary.has(part.stem) && !(part.prefix && vocabulary.hasPrefix(part.word))) {
        part.corrections = vocabulary.near(part.stem, typos);
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

  /** Up to MAX_CORRECTIONS terms within `limit` edits: nearest first, then most frequent. */
  Vocabulary.prototype.near = function (term, limit) {
    var found = [];
    for (var len = term.length - limit; len <= term.length + limit; len++) {
      (this.byLength.get(len) || []).forEach(function (candidate) {
        if (candidate[0] !== term[0] && candidate[1] !== term[1]) return; // typos rarely hit both first letters
        var d = distance(term, candidate, limit);
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
    return found.slice(0, MAX_CORRECTIONS).map(function (pair) {
      return pair[1];
    });
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
    return plan(this.words, text, options, this.vocabulary);
  };

  /**
   * Rank pages for one plan. Every matched document gets its title-index score (article
   * intros and collections only) and its body-index score; an article's candidates are its
   * matched documents, each credited with the article's title score and title matches; the
   * best candidate stands for the article. Order: query words covered, then covered by exact
   * (or prefix) matches, then score, then document number.
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
          hit = { ref: Number(result.ref), head: 0, body: 0, headExact: 0, headAny: 0, bodyExact: 0, bodyAny: 0 };
          hits.set(result.ref, hit);
        }
        var exact = 0;
        var any = 0;
        for (var term in result.matchData.metadata) {
          var masks = masksOf(term);
          exact |= masks[0];
          any |= masks[1];
        }
        if (n === 0) {
          hit.head += result.score;
          hit.headExact |= exact;
          hit.headAny |= any;
        } else {
          hit.body += result.score;
          hit.bodyExact |= exact;
          hit.bodyAny |= any;
        }
      }
    }
    return this.rankPages(hits);
  };

  /** The best candidate of every page among the matched documents, best page first. */
  Engine.prototype.rankPages = function (hits) {
    var pageOf = this.pageOf;
    var docs = this.docs;
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
      var best = null;
      for (var i = 0; i < page.docs.length; i++) {
        var hit = page.docs[i];
        var candidate = {
          ref: hit.ref,
          score: titleScore + hit.body,
          exact: countBits(titleExact | hit.bodyExact),
          covered: countBits(titleAny | hit.bodyAny),
        };
        if (!best || compare(candidate, best) < 0) best = candidate;
      }
      ranked.push(best);
    });
    ranked.sort(compare);
    return ranked;
  };

  function compare(a, b) {
    return b.covered - a.covered || b.exact - a.exact || b.score - a.score || a.ref - b.ref;
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
      var other = this.switchUnknown(text, options);
      if (other !== null) {
        var otherPlan = this.plan(other, options);
        var otherRanked = this.rank(otherPlan);
        // compared as shares: "в" is a stop word, "d" was a word of its own
        var share = bestExact / Math.max(1, planned.parts.length);
        if (otherRanked.length && otherRanked[0].exact / Math.max(1, otherPlan.parts.length) > share) {
          planned = otherPlan;
          ranked = otherRanked;
          switched = other;
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

  /**
   * The search service the page talks to by messages, in a Web Worker (search-worker.js) or,
   * where workers are unavailable, on the page itself. `fetchJson(url)` returns a promise.
   * Messages in: {type:"init", index: "<url of _search/<lang>/>"}, {type:"query", id, q,
   * typing, limit, snippets}. Out: {type:"ready"|"body"|"error"} and {type:"results", id, …}.
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
      this.fetchJson(this.base + "index.json")
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
    normalizeText: normalizeText,
    tokenize: tokenize,
    switchLayout: switchLayout,
    Words: Words,
    plan: plan,
    runClauses: runClauses,
    clausesFor: clausesFor,
    Engine: Engine,
    createEngine: function (lunr, head) {
      return new Engine(lunr, head);
    },
  };
});
