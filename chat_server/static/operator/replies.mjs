/* Saved replies in the reply box: the keyword being typed after # or /, the replies it
 * finds, and a reply's text with the reader's and the operator's names filled in. Pure
 * functions (node tests them); the same forgiveness as chat_server/saved_replies.py: the
 * shortcut, a prefix, a word form (the server sends each reply's stems as `terms`), one
 * typo, or the word typed on the English layout. */

const LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`";
const CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюё";

export function normalize(text) {
  return text.normalize("NFC").toLowerCase().replace(/ё/g, "е").trim();
}

function toCyrillic(text) {
  return Array.from(text).map((c) => { const i = LATIN.indexOf(c); return i < 0 ? c : CYRILLIC[i]; }).join("");
}

/* The keyword right before the caret: "#пере" → "пере"; null when there is none. */
export function keywordAt(text, caret) {
  const m = /(^|\s)[#/]([\p{L}\p{N}_.+-]{0,40})$/u.exec(text.slice(0, caret));
  return m ? { word: m[2], start: caret - m[2].length - 1 } : null;
}

export function withinOneEdit(a, b) {
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length > b.length) { const t = a; a = b; b = t; }
  let i = 0;
  while (i < a.length && a[i] === b[i]) i += 1;
  if (a.length === b.length) {
    return a.slice(i + 1) === b.slice(i + 1)
      || (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2));
  }
  return a.slice(i) === b.slice(i + 1);
}

function score(q, terms) {
  if (!q) return 1;
  const shortcut = terms[0] || "", words = terms.slice(1);
  let best = 0;
  [q, toCyrillic(q)].forEach((query) => {
    if (shortcut === query) best = Math.max(best, 100);
    else if (shortcut.startsWith(query)) best = Math.max(best, 80);
    words.forEach((term) => {
      if (term.startsWith(query) || (term.length >= 4 && query.startsWith(term))) best = Math.max(best, 60);
      else if (query.length >= 4 && (withinOneEdit(query, term) || withinOneEdit(query, term.slice(0, query.length)))) best = Math.max(best, 30);
    });
    if (query.length >= 4 && (withinOneEdit(query, shortcut) || withinOneEdit(query, shortcut.slice(0, query.length)))) best = Math.max(best, 40);
  });
  return best;
}

export function findReplies(replies, word, limit = 6) {
  const q = normalize(word);
  return replies.map((r) => [score(q, r.terms || [normalize(r.shortcut)]), r]).filter((p) => p[0] > 0)
    .sort((a, b) => b[0] - a[0] || a[1].shortcut.localeCompare(b[1].shortcut))
    .slice(0, limit).map((p) => p[1]);
}

/* The reply's text for this conversation: names filled in; without the reader's name,
 * "{{reader_name}}, " goes away with its comma instead of leaving ", " behind. */
export function fill(body, readerName, operatorName) {
  let text = body.replace(/\{\{operator_name\}\}/g, operatorName || "");
  if (readerName) return text.replace(/\{\{reader_name\}\}/g, readerName);
  text = text.replace(/\{\{reader_name\}\}/g, "")
    .replace(/[ \t]*,[ \t]*(?=[!.?,])/g, "")  // "Здравствуйте, !" → "Здравствуйте!"
    .replace(/^[ \t]*[,!][ \t]*/gm, "");  // ", дату можно…" → "дату можно…"
  return text.replace(/^\s+/, "").replace(/^./, (c) => c.toUpperCase());
}

/* The box's text with the keyword (from `start` to the caret) replaced by the reply. */
export function expand(text, keyword, caret, replyText) {
  return text.slice(0, keyword.start) + replyText + text.slice(caret);
}
