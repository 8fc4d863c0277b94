"""`POST /api/ratings`: «Was this helpful?» 😀 😐 😞 at the end of every article; and
`GET /api/operator/ratings`, the operators' table of them with each article's views."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server import auth
from chat_server.article_views import WINDOW_DAYS, today
from chat_server.conversations import RATING_VALUES, Chat
from chat_server.cors import public_json, with_cors
from chat_server.operator_auth import operator_only
from chat_server.store import Record

MAX_BODY = 2048


def _text(data: dict[str, object], key: str, limit: int) -> str:
    value = data.get(key, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def rate(request: Request) -> Response:
    chat: Chat = request.app.state.chat
    data = await public_json(request, "rate", MAX_BODY)
    if isinstance(data, Response):
        return data
    article_id, lang = _text(data, "article_id", 300), _text(data, "lang", 16)
    rating = data.get("rating")
    if not article_id or lang not in chat.settings.languages or rating not in RATING_VALUES:
        return with_cors(request, JSONResponse({"error": "bad_rating"}, status_code=400))
    if chat.articles.get(article_id, lang) is None:
        # Only articles the site has (site/_data/articles.json): made-up ids would fill the
        # table and the operators' ratings page.
        return with_cors(request, JSONResponse({"error": "unknown_article"}, status_code=404))
    signer: auth.Signer = request.app.state.signer
    token = data.get("token")
    reader_id = signer.reader_id(token if isinstance(token, str) else None)
    if reader_id is None:
        reader_id = auth.new_reader_id()
    saved = await chat.store.rate(article_id, lang, reader_id, str(rating),
                                  _text(data, "commit", 64))
    return with_cors(request, JSONResponse({
        "rating": saved["rating"], "token": signer.reader_token(reader_id)}))


@operator_only
async def listing(request: Request, operator: Record) -> Response:
    """Every rated or viewed article: its ratings, views (last 30 days and ever), title, URL
    and author's name in the article's language (the key when the manifest has no name)."""
    chat: Chat = request.app.state.chat
    stats = await chat.store.rating_stats(chat.articles.commits())
    views = await chat.store.view_counts(today() - WINDOW_DAYS + 1)
    rated = {(entry["lang"], entry["article_id"]) for entry in stats}
    # Read but never rated: after the rated ones, most read first.
    unrated = sorted((key for key in views if key not in rated),
                     key=lambda key: (-views[key][0], -views[key][1], key))
    stats += [_unrated(article_id, lang) for lang, article_id in unrated]
    for entry in stats:
        recent, total = views.get((entry["lang"], entry["article_id"]), (0, 0))
        entry["views_30d"], entry["views_total"] = recent, total
        article = chat.articles.get(entry["article_id"], entry["lang"]) or {}
        entry["title"] = article.get("title", "")
        entry["url"] = article.get("url", "")
        entry["author"] = article.get("author") or ""
        entry["author_name"] = article.get("author_name") or entry["author"]
    return JSONResponse({"ratings": stats})


def _unrated(article_id: str, lang: str) -> Record:
    return {"article_id": article_id, "lang": lang, "total": 0, "happy": 0, "neutral": 0,
            "sad": 0, "since_change_total": 0, "since_change_sad": 0, "sad_share": 0.0,
            "commit": ""}
