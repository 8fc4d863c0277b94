"""Words as the search index sees them: tokens, ё folding, stop words and stemmers.

The browser repeats every step here in `themes/default/assets/search/search-words.js`
(`normalizeText`, `Words`); `tests/test_search_parity.py` runs both over every word of the
corpora and requires the same terms. The rules are therefore kept simple enough to state exactly:

- text is NFC-normalised, lower-cased, ё→е; soft hyphens and zero-width characters vanish;
- a token is a run of ASCII letters and digits, Latin-1/Latin Extended letters and Cyrillic;
  everything else separates tokens (so `налоговая?` and `ip-адрес` need no trimmer);
- stop words (one list for every language, shipped inside the index so the browser uses the
  same list) are dropped;
- an all-Cyrillic word goes through the Russian snowball stemmer (`snowballstemmer`, the same
  algorithm as lunr-languages' `lunr.ru.stemmer`, no NLTK and no network), an all-ASCII-letter
  word through an exact port of lunr.js's Porter stemmer, anything else (digits, mixed
  scripts) is kept as it is.

Russian help centres are full of Latin words (Kubernetes, S3, API), and English pages quote
Russian UI labels, so the stemmer is chosen per word by its script, not per site language.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Same class, same order, in search-words.js (TOKEN_RE).
TOKEN_RE = re.compile(r"[0-9a-z\u00c0-\u024f\u0400-\u04ff]+")
_INVISIBLE_RE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_LATIN_WORD = re.compile(r"[a-z]+")

# lunr.js's English list (lunr.stopWordFilter), unchanged.
EN_STOP_WORDS = frozenset(
    """a able about across after all almost also am among an and any are as at be because been
    but by can cannot could dear did do does either else ever every for from get got had has have
    he her hers him his how however i if in into is it its just least let like likely may me
    might most must my neither no nor not of off often on only or other our own rather said say
    says she should since so some than that the their them then there these they this tis to too
    twas us wants was we were what when where which while who whom why will with would yet you
    your""".split()
)

# Function words only, written as normalised (ё→е). lunr-languages' Russian list also drops
# content words a help centre is searched for (время, день, имя, год, процентов, человек, лет,
# жизнь), so it is not used.
RU_STOP_WORDS = frozenset(
    """а без более бы был была были было быть в вам вами вас ваш ваша ваше ваши во вот все всего
    всех вы где да для до его ее ей ему если есть еще же за здесь и из или им ими их к как ко
    когда кто ли либо мне мной мы на над нам нас наш не него нее ней нет ни них но ну о об он она
    они оно от очень по под при про с со так также такой там те тем то того тоже той только том
    ту тут ты у уже чем что чтобы эта эти это этого этой этот эту я после через между перед
    около кроме вместо можно нужно который которая которое которые которых которой которого
    котором которым свой своего своей свои своих свою себя весь вся сколько почему зачем
    какой какая какое какие каких каким какую какими каком какого какому куда откуда
    такая такое такие таких таким такую такими такого такому""".split()
)

STOP_WORDS = EN_STOP_WORDS | RU_STOP_WORDS

_RU_STEMMER = snowballstemmer.stemmer("russian")


def normalize_text(text: str) -> str:
    """NFC, lower case, ё→е, invisible characters removed: the form both sides tokenize."""
    text = unicodedata.normalize("NFC", text).lower()
    return _INVISIBLE_RE.sub("", text).replace("ё", "е")


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(normalize_text(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem one normalised token; cached because a corpus repeats its words a lot."""
    if _CYRILLIC_WORD.fullmatch(word):
        return str(_RU_STEMMER.stemWord(word))
    if _LATIN_WORD.fullmatch(word):
        return porter_stem(word)
    return word


def index_terms(text: str) -> list[str]:
    """The terms a field contributes to the index, in order, repeats kept (they are tf)."""
    return [stem(word) for word in tokenize(text) if word not in STOP_WORDS]


# --- lunr.js 2.3.9's Porter stemmer, ported line by line -------------------------------------
# lunr.py ships its own Porter port, which differs from lunr.js on words ending in "y"
# (pay, day, money, try), so a query stemmed in the browser would miss the Python index.

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize",
    "bli": "ble", "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize",
    "ation": "ate", "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful",
    "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble", "logi": "log",
}  # fmt: skip
_STEP3 = {
    "icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": "",
}  # fmt: skip
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"
_RE_MGR0 = re.compile("^(" + _C + ")?" + _V + _C)
_RE_MEQ1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + ")?$")
_RE_MGR1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)
_RE_S_V = re.compile("^(" + _C + ")?" + _v)
_RE_1A = re.compile(r"^(.+?)(ss|i)es$")
_RE2_1A = re.compile(r"^(.+?)([^s])s$")
_RE_1B = re.compile(r"^(.+?)eed$")
_RE2_1B = re.compile(r"^(.+?)(ed|ing)$")
_RE2_1B_2 = re.compile(r"(at|bl|iz)$")
_RE3_1B_2 = re.compile(r"([^aeiouylsz])\1$")
_RE4_1B_2 = re.compile("^" + _C + _v + "[^aeiouwxy]$")
_RE_1C = re.compile(r"^(.+?[^aeiou])y$")
_RE_2 = re.compile("^(.+?)(" + "|".join(_STEP2) + ")$")
_RE_3 = re.compile("^(.+?)(" + "|".join(_STEP3) + ")$")
_RE_4 = re.compile(
    r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$"
)
_RE2_4 = re.compile(r"^(.+?)(s|t)(ion)$")
_RE_5 = re.compile(r"^(.+?)e$")
_RE_5_1 = re.compile(r"ll$")
_RE3_5 = re.compile("^" + _C + _v + "[^aeiouwxy]$")


def porter_stem(w: str) -> str:  # noqa: C901 - a faithful port reads best as one function
    if len(w) < 3:
        return w
    firstch = w[0]
    if firstch == "y":
        w = "Y" + w[1:]
    # Step 1a
    if m := _RE_1A.match(w):
        w = m.group(1) + m.group(2)
    elif m := _RE2_1A.match(w):
        w = m.group(1) + m.group(2)
    # Step 1b
    if m := _RE_1B.match(w):
        if _RE_MGR0.search(m.group(1)):
            w = w[:-1]
    elif m := _RE2_1B.match(w):
        stem_ = m.group(1)
        if _RE_S_V.search(stem_):
            w = stem_
            if _RE2_1B_2.search(w):
                w = w + "e"
            elif _RE3_1B_2.search(w):
                w = w[:-1]
            elif _RE4_1B_2.search(w):
                w = w + "e"
    # Step 1c
    if m := _RE_1C.match(w):
        w = m.group(1) + "i"
    # Step 2
    if m := _RE_2.match(w):
        if _RE_MGR0.search(m.group(1)):
            w = m.group(1) + _STEP2[m.group(2)]
    # Step 3
    if m := _RE_3.match(w):
        if _RE_MGR0.search(m.group(1)):
            w = m.group(1) + _STEP3[m.group(2)]
    # Step 4
    if m := _RE_4.match(w):
        if _RE_MGR1.search(m.group(1)):
            w = m.group(1)
    elif m := _RE2_4.match(w):
        stem_ = m.group(1) + m.group(2)
        if _RE_MGR1.search(stem_):
            w = stem_
    # Step 5
    if m := _RE_5.match(w):
        stem_ = m.group(1)
        if _RE_MGR1.search(stem_) or (_RE_MEQ1.search(stem_) and not _RE3_5.search(stem_)):
            w = stem_
    if _RE_5_1.search(w) and _RE_MGR1.search(w):
        w = w[:-1]
    if firstch == "y":
        w = "y" + w[1:]
    return w
