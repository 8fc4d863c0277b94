"""Email to readers: first a confirmation of the address they typed, then replies to it.

A reader types any address into the widget. Mail goes out from the team's address, so
without a confirmation a stranger could make it send replies (and a link into the chat) to
anyone. The first time a reader gives an address we send one mail with a signed link to
`GET /api/email/confirm?t=…`; only once it is opened does the conversation's `email` get the
address and do replies go there. Confirmation mails are limited per reader, per address and
per client address.

Links in mail are built from settings only, never from what a browser reported: the
confirmation link from `chat.url` (the sidecar), the link back into the chat from
`site.base_url` (without one, replies carry no link).
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from itsdangerous import BadData, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from chat_server import limits
from chat_server.client_address import client_address
from chat_server.store import Record

if TYPE_CHECKING:
    from chat_server.conversations import Chat

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = 3 * 24 * 3600  # a confirmation link works for three days
CONFIRM_PATH = "/api/email/confirm"

# What the reader is told after giving an address (the `email_pending` frame or an error).
CONFIRMED, SENT, RATE_LIMITED, UNAVAILABLE = "confirmed", "sent", "rate_limited", "unavailable"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "{title}: confirm your email",
        "mail": "Hello!\n\nThis address was left in the {title} chat to get replies by email. "
                "To get them here, open this link within three days:\n\n{link}\n\n"
                "If it was not you, do nothing: no replies will come.\n\n— {title}",
        "confirmed": "Address confirmed",
        "confirmed_text": "Replies will come to {email}. You can close this page.",
        "bad_link": "This link has expired or is damaged",
        "bad_link_text": "Leave your address in the chat once more and we will send a new one.",
        "limited": "Too many attempts",
        "limited_text": "Try again in a minute.",
        "back": "Back to the help center",
    },
    "ru": {
        "subject": "{title}: подтвердите адрес",
        "mail": "Здравствуйте!\n\nЭтот адрес оставили в чате «{title}», чтобы получать ответы "
                "по почте. Чтобы они приходили сюда, откройте ссылку (она действует три "
                "дня):\n\n{link}\n\nЕсли это были не вы, ничего не делайте: ответов не "
                "будет.\n\n— {title}",
        "confirmed": "Адрес подтверждён",
        "confirmed_text": "Ответы придут на {email}. Эту страницу можно закрыть.",
        "bad_link": "Ссылка устарела или повреждена",
        "bad_link_text": "Оставьте адрес в чате ещё раз — мы пришлём новую.",
        "limited": "Слишком много попыток",
        "limited_text": "Попробуйте через минуту.",
        "back": "Вернуться в справку",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


class ConfirmLinks:
    """Signed (reader, conversation, address, language) for the confirmation link."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="chat-email-confirm")

    def token(self, reader_id: str, conversation_id: int, email: str, lang: str) -> str:
        return self._serializer.dumps([reader_id, conversation_id, email, lang])

    def read(self, token: str | None) -> tuple[str, int, str, str] | None:
        if not token:
            return None
        try:
            value = self._serializer.loads(token, max_age=CONFIRM_MAX_AGE)
        except (BadData, UnicodeError):
            return None
        if not (isinstance(value, list) and len(value) == 4):
            return None
        reader_id, conversation_id, email, lang = value
        if not (isinstance(reader_id, str) and isinstance(conversation_id, int)
                and isinstance(email, str) and isinstance(lang, str)):
            return None
        return reader_id, conversation_id, email, lang


async def ask_to_confirm(chat: Chat, budget: limits.Limits, reader: Record,
                         conversation: Record, email: str, lang: str, client: str) -> str:
    """The reader gave `email` for `conversation`: use it at once if they confirmed it
    before, else send the confirmation mail (in the background). Returns what happened."""
    if reader.get("confirmed_email") and reader["confirmed_email"] == email:
        await chat.use_email(conversation, email)
        return CONFIRMED
    if not chat.mailer.enabled or not chat.settings.url:
        return UNAVAILABLE
    for rule, key in ((limits.CONFIRM_READER, reader["id"]),
                      (limits.CONFIRM_EMAIL, email.lower()),
                      (limits.CONFIRM_CLIENT, client)):
        if not await budget.allow(rule, key):
            return RATE_LIMITED
    token = ConfirmLinks(chat.settings.secret_key).token(reader["id"], conversation["id"],
                                                         email, lang)
    link = f"{chat.settings.url.rstrip('/')}{CONFIRM_PATH}?t={token}"
    words, title = texts(lang), chat.settings.title
    chat.in_background(chat.mailer.send(email, words["subject"].format(title=title),
                                        words["mail"].format(title=title, link=link)))
    return SENT


async def confirm(request: Request) -> Response:
    """GET /api/email/confirm?t=…: the link in the confirmation mail, opened by a person
    (an HTML page; JSON for clients that ask for it)."""
    chat: Chat = request.app.state.chat
    client = client_address(request)
    if not await request.app.state.limits.allow(limits.PUBLIC, f"confirm:{client}"):
        return _answer(request, 429, "rate_limited", "en")
    found = ConfirmLinks(chat.settings.secret_key).read(request.query_params.get("t"))
    if found is None:
        return _answer(request, 400, "bad_link", "en")
    reader_id, conversation_id, email, lang = found
    if not await chat.confirm_email(reader_id, conversation_id, email):
        return _answer(request, 400, "bad_link", lang)
    return _answer(request, 200, "confirmed", lang, email)


def _answer(request: Request, status: int, code: str, lang: str, email: str = "") -> Response:
    if "application/json" in request.headers.get("accept", ""):
        body: dict[str, Any] = {"email": email} if status == 200 else {"error": code}
        return JSONResponse(body, status_code=status)
    words = texts(lang)
    key = {"rate_limited": "limited"}.get(code, code)
    heading, text = words[key], words[key + "_text"].format(email=email)
    base = request.app.state.chat.settings.site_base_url
    back = f'<p><a href="{html.escape(base)}">{html.escape(words["back"])}</a></p>' if (
        base) else ""
    page = (f'<!doctype html><html lang="{html.escape(lang)}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(heading)}</title><h1>{html.escape(heading)}</h1>"
            f"<p>{html.escape(text)}</p>{back}</html>")
    return HTMLResponse(page, status_code=status, headers={
        "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'",
        "Referrer-Policy": "no-referrer",  # the token is in this page's URL
        "Cache-Control": "no-store"})


# --- replies ------------------------------------------------------------------------------
def chat_link(base_url: str, page: str, token: str) -> str:
    """Where a reply's link opens the chat: the page the reader wrote from when it is one of
    the help center's (under `base_url`), else `base_url` itself; '' without a base_url."""
    if not base_url:
        return ""
    base, seen = urlsplit(base_url), urlsplit(page)
    path = base.path or "/"
    if (seen.scheme, seen.netloc.lower()) == (base.scheme, base.netloc.lower()) and (
            seen.path.startswith(path)):
        path = seen.path
    # Percent-encoded again so that nothing the browser sent can break the line it is on.
    path = quote(path, safe="/%-._~!$&'()*+,;=:@")
    return f"{base.scheme}://{base.netloc}{path}#chat={token}"


def reply_text(chat: Chat, conversation: Record, message: Record, operator: Record) -> str:
    page = str(conversation.get("context", {}).get("page", ""))
    link = chat_link(chat.settings.site_base_url, page,
                     chat.signer.reader_link(conversation["reader_id"]))
    tail = f"\n\n{link}" if link else ""
    return f"{operator['name']}:\n\n{message['body']}{tail}\n\n— {chat.settings.title}"


async def send_reply(chat: Chat, conversation: Record, message: Record,
                     operator: Record) -> None:
    """An operator's reply to a reader who is away: only to the address they confirmed."""
    reader = await chat.store.get_reader(conversation["reader_id"])
    to = conversation["email"]
    if not to or reader is None or reader.get("confirmed_email") != to:
        return
    await chat.mailer.send(to, f"{chat.settings.title}: {operator['name']}",
                           reply_text(chat, conversation, message, operator))
