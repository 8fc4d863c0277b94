/*
 * Search word rules, shared by the index (builder/search/words.py does the same, and
 * tests/test_search_parity.py checks every word of the corpora) and the query: NFC, lower case,
 * ё→е, tokens of [0-9a-z À-ɏ Ѐ-ӿ], stop words from the index file, the Russian snowball stemmer
 * for all-Cyrillic words and lunr's Porter for a-z words; plus the ru ⇄ en keyboard layout
 * switch and the edit distance that typo correction uses.
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    // In the worker (and the on-page fallback) the parts share one namespace, loaded in order:
    // search-words.js, search-plan.js, search-engine.js, search-backend.js.
    var core = (root.HelpCenterSearchCore = root.HelpCenterSearchCore || {});
    var exported = factory();
    for (var name in exported) core[name] = exported[name];
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  var TOKEN_RE = /[0-9a-z\u00c0-\u024f\u0400-\u04ff]+/g;
  // eslint-disable-next-line no-misleading-character-class -- each of these invisible code points on its own, not a sequence
  var INVISIBLE_RE = /[\u00ad\u200b\u200c\u200d\u2060\ufeff]/g;
  var CYRILLIC_RE = /^[\u0400-\u04ff]+$/;
  var LATIN_RE = /^[a-z]+$/;
  var WORD_CHAR_RE = /[0-9a-z\u00c0-\u024f\u0400-\u04ff]$/;

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

  // Russian typed in Latin letters, longest spellings first: GOST 7.79-2000 system B and ISO 9
  // without diacritics (shch, zh, kh, ch, sh, yu, ya, c → ц), the passport (ICAO) scheme
  // (ts, iu, ia, ie) and the informal ones (h, sch, ju, ja, jo, w, x → кс). Where schemes
  // disagree a spelling has several readings (y: ы or й; i: и or й; e: е or э; ts: ц or тс);
  // the search keeps the reading the index knows. The soft and hard signs are usually left
  // out; the typo correction puts them back (denги → деньги).
  var TRANSLIT = [
    ["shch", ["щ"]], ["sch", ["щ", "сч"]], ["zh", ["ж"]], ["kh", ["х"]], ["ch", ["ч"]], ["sh", ["ш"]],
    ["ts", ["ц", "тс"]], ["tz", ["ц"]], ["yo", ["е", "йо"]], ["jo", ["е", "жо"]], ["yu", ["ю"]],
    ["ju", ["ю", "жу"]], ["iu", ["ю", "ию"]], ["ya", ["я", "ыа"]], ["ja", ["я", "жа"]], ["ia", ["ия", "я"]],
    ["ye", ["е", "ые"]], ["je", ["е", "же"]], ["ie", ["ие", "е"]], ["iy", ["ий", "ый"]], ["yy", ["ый", "ий"]],
    ["ij", ["ий"]], ["yj", ["ый"]], ["ey", ["ей"]], ["ay", ["ай"]], ["oy", ["ой"]], ["uy", ["уй"]],
    ["a", ["а"]], ["b", ["б"]], ["v", ["в"]], ["w", ["в"]], ["g", ["г"]], ["d", ["д"]],
    ["e", ["е", "э"]], ["z", ["з"]], ["i", ["и", "й"]], ["j", ["й", "ж"]], ["k", ["к"]], ["l", ["л"]],
    ["m", ["м"]], ["n", ["н"]], ["o", ["о"]], ["p", ["п"]], ["r", ["р"]], ["s", ["с"]],
    ["t", ["т"]], ["u", ["у"]], ["f", ["ф"]], ["h", ["х"]], ["c", ["ц", "к"]], ["y", ["ы", "й"]],
    ["x", ["кс"]], ["q", ["к"]],
  ]; // prettier-ignore
  var MAX_READINGS = 32; // bounds the vocabulary look-ups of one word

  /**
   * The Cyrillic readings of one Latin word (a-z), the most usual first, at most MAX_READINGS;
   * [] for anything else. "kak" → ["как"], "nds" → ["ндс"], "vernut" → ["вернут", …].
   */
  function transliterate(word) {
    if (!LATIN_RE.test(word)) return [];
    var readings = [""];
    var i = 0;
    while (i < word.length) {
      var rule = null;
      for (var r = 0; r < TRANSLIT.length && !rule; r++) {
        if (word.startsWith(TRANSLIT[r][0], i)) rule = TRANSLIT[r];
      }
      var next = [];
      readings.forEach(function (reading) {
        rule[1].forEach(function (letters) {
          if (next.length < MAX_READINGS) next.push(reading + letters);
        });
      });
      readings = next;
      i += rule[0].length;
    }
    // A soft sign at the end is the one most often left out: sozdat → создать, stoimost → стоимость.
    if (/[bvgdzklmnprstfhcx]$/.test(word)) {
      readings = readings.concat(
        readings.map(function (reading) {
          return reading + "ь";
        })
      );
    }
    return readings.slice(0, MAX_READINGS);
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

  /**
   * The fewest edits turning some prefix of `word` into `term` (limit+1 beyond limit): how far
   * a typed word is from a stem, whatever ending follows. The stemmer cannot be trusted with
   * a misspelled word ("созадть" stems to "созадт", two edits from "созда"), its prefix can.
   */
  function prefixDistance(word, term, limit) {
    // Rows: the term's letters; the last row holds the distance to every prefix of the word.
    var before = null;
    var prev = [];
    for (var j = 0; j <= word.length; j++) prev.push(j);
    for (var i = 1; i <= term.length; i++) {
      var cur = [i];
      var best = i;
      for (var k = 1; k <= word.length; k++) {
        var v = Math.min(prev[k] + 1, cur[k - 1] + 1, prev[k - 1] + (term[i - 1] === word[k - 1] ? 0 : 1));
        if (before && k > 1 && term[i - 1] === word[k - 2] && term[i - 2] === word[k - 1]) v = Math.min(v, before[k - 2] + 1);
        cur.push(v);
        if (v < best) best = v;
      }
      if (best > limit) return limit + 1;
      before = prev;
      prev = cur;
    }
    return Math.min.apply(null, prev);
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

  return {
    WORD_CHAR_RE: WORD_CHAR_RE,
    normalizeText: normalizeText,
    tokenize: tokenize,
    switchLayout: switchLayout,
    transliterate: transliterate,
    distance: distance,
    prefixDistance: prefixDistance,
    Words: Words,
    registerPipeline: registerPipeline,
  };
});
