"""`POST /api/ratings`: «Was this helpful?» 😀 😐 😞 at the end of every article."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chat_server import auth
from chat_server.conversations import RATING_VALUES, Chat
from chat_server.cors import public_json, with_cors

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
