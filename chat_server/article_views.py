"""Article views without cookies or third parties, and the popular articles they make.

`POST /api/views` is what an article page's beacon (themes/default/assets/js/views.js) sends
once per page view, unless the reader's browser asks not to be tracked. It carries the
article's id and language, nothing else: no reader id, no cookie, and the sidecar keeps only
a counter per article, language and day (store/article_views.py). The client's address only
feeds the rate limit, like every public endpoint's.

`GET /api/popular?lang=ru` answers the home page's «Popular articles»: the most viewed
articles of the last 30 days, with their titles and URLs from the site's manifest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server.articles import Articles
from chat_server.conversations import Chat
from chat_server.cors import public_json, public_refusal, with_cors
from chat_server.store import Record, Store
from chat_server.store.article_views import day_of

MAX_BODY = 1024
WINDOW_DAYS = 30
TOP = 5  # articles the home page lists
MIN_VIEWS = 3  # an article viewed fewer times in the window is not "popular" yet
MIN_ARTICLES = 3  # fewer popular articles than this: no block (it would look empty)
CACHE_SECONDS = 60.0  # every home page view asks; the database is asked once a minute


def _text(data: dict[str, object], key: str, limit: int) -> str:
    value = data.get(key, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def today() -> int:
    return day_of(int(time.time() * 1000))


async def count(request: Request) -> Response:
    chat: Chat = request.app.state.chat
    data = await public_json(request, "views", MAX_BODY)
    if isinstance(data, Response):
        return data
    article_id, lang = _text(data, "article_id", 300), _text(data, "lang", 16)
    if not article_id or lang not in chat.settings.languages:
        return with_cors(request, JSONResponse({"error": "bad_view"}, status_code=400))
    if chat.articles.get(article_id, lang) is None:
        # Only the site's articles (site/_data/articles.json): junk ids are not stored.
        return with_cors(request, JSONResponse({"error": "unknown_article"}, status_code=404))
    await chat.store.count_view(article_id, lang, today())
    return with_cors(request, JSONResponse({"counted": True}, status_code=202))


@dataclass
class Popular:
    """The popular articles per language, asked of the store at most once a minute."""

    store: Store
    articles: Articles
    _cache: dict[str, tuple[float, list[Record]]] = field(default_factory=dict, init=False)

    async def of(self, lang: str) -> list[Record]:
        cached = self._cache.get(lang)
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        # More than TOP: an article deleted since its views were counted is left out.
        counted = await self.store.popular_articles(lang, today() - WINDOW_DAYS + 1, TOP * 3)
        found = self._listed(lang, counted)
        self._cache[lang] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    def _listed(self, lang: str, counted: list[Record]) -> list[Record]:
        found: list[Record] = []
        for row in counted:
            entry = self.articles.get(row["article_id"], lang)
            if entry is None or row["views"] < MIN_VIEWS or not _site_path(entry.get("url")):
                continue
            found.append({"id": row["article_id"], "title": str(entry.get("title") or ""),
                          "url": entry["url"]})
            if len(found) == TOP:
                break
        return found if len(found) >= MIN_ARTICLES else []


def _site_path(url: object) -> bool:
    """A path on the site ("/ru/nds/x/"), which the page puts under its own root."""
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//")


async def popular(request: Request) -> Response:
    refused = await public_refusal(request, "popular")
    if refused is not None:
        return refused
    chat: Chat = request.app.state.chat
    lang = request.query_params.get("lang", "")
    if lang not in chat.settings.languages:
        return with_cors(request, JSONResponse({"error": "bad_lang"}, status_code=400))
    shown: Popular = request.app.state.popular
    response = JSONResponse({"articles": await shown.of(lang)})
    response.headers["Cache-Control"] = f"public, max-age={int(CACHE_SECONDS)}"
    return with_cors(request, response)
