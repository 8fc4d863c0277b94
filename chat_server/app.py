"""`create_app(settings, store, broker)`: the whole sidecar as one Starlette app, no globals."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chat_server import (
    article_views,
    attachments,
    conversation_search_api,
    customer_api,
    failed_searches,
    operator_api,
    operator_auth,
    ratings,
    reminders_api,
    replies_api,
    tags_api,
)
from chat_server.articles import Articles
from chat_server.auth import Passwords
from chat_server.blob_store import blob_store_for
from chat_server.broker import Broker
from chat_server.client_address import ForwardedHeaders, TrustedProxies
from chat_server.conversations import Chat
from chat_server.cors import preflight, public_refusal, with_cors
from chat_server.health import Health
from chat_server.limits import limits_for
from chat_server.login_throttle import throttle_for
from chat_server.mail import reader_email
from chat_server.mail.mailer import Mailer
from chat_server.operator_page import OPERATOR_CSP, operator_page
from chat_server.operator_sessions import Sessions
from chat_server.operator_ws import operator_socket
from chat_server.reader_ws import reader_socket
from chat_server.runtime import daily_retention, quiet_client_logs
from chat_server.settings import ChatSettings
from chat_server.site_csp import SitePolicy
from chat_server.store import Store

STATIC = Path(__file__).parent / "static"


# What the sidecar answers itself; every other path is the site it serves (settings.site_dir).
SIDECAR_PATHS = ("/operator", "/api/", "/ws/", "/widget/", "/healthz")


class SecurityHeaders:
    """Headers for every response; the strict CSP for the operator page and its API, and
    the site's policy (no inline script) for the site's pages when the sidecar serves them."""

    def __init__(self, app: ASGIApp, site: SitePolicy | None = None) -> None:
        self.app = app
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        operator = scope["path"].startswith(("/operator", "/api/operator"))
        site = None
        if self.site is not None and not scope["path"].startswith(SIDECAR_PATHS):
            site = self.site.current().encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                if operator:
                    headers += [
                        (b"content-security-policy", OPERATOR_CSP.encode()),
                        (b"x-frame-options", b"DENY"),
                        (b"referrer-policy", b"same-origin"),
                        (b"cache-control", b"no-store"),
                    ]
                elif site is not None:
                    headers.append((b"content-security-policy", site))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def availability(request: Request) -> Response:
    refused = await public_refusal(request, "availability")
    if refused is not None:
        return refused
    chat: Chat = request.app.state.chat
    return with_cors(request, JSONResponse(await chat.presence.availability()))


async def health(request: Request) -> Response:
    """200 {"ok": true}, or 503 naming the parts that are away (chat_server/health.py)."""
    down = await request.app.state.health.down()
    if down:
        return JSONResponse({"ok": False, "down": down}, status_code=503,
                            headers={"Cache-Control": "no-store"})
    return JSONResponse({"ok": True}, headers={"Cache-Control": "no-store"})


async def http_error(request: Request, exc: Exception) -> Response:
    """The API answers JSON even for a path or method it does not have (a POST to
    `/conversations/-1/reply` reaches the site's files, which take only GET)."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith("/api/"):
        code = {404: "not_found", 405: "method_not_allowed"}[exc.status_code]
        return JSONResponse({"error": code}, status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def _routes(settings: ChatSettings) -> list[Route | Mount | WebSocketRoute]:
    op = "/api/operator"
    conv = op + "/conversations/{id:int}"
    routes: list[Route | Mount | WebSocketRoute] = [
        Route("/healthz", health),
        Route("/api/availability", availability, methods=["GET"]),
        Route("/api/availability", preflight, methods=["OPTIONS"]),
        Route("/api/ratings", ratings.rate, methods=["POST"]),
        Route("/api/ratings", preflight, methods=["OPTIONS"]),
        Route("/api/views", article_views.count, methods=["POST"]),
        Route("/api/views", preflight, methods=["OPTIONS"]),
        Route("/api/popular", article_views.popular, methods=["GET"]),
        Route("/api/popular", preflight, methods=["OPTIONS"]),
        Route("/api/failed-searches", failed_searches.report, methods=["POST"]),
        Route("/api/failed-searches", preflight, methods=["OPTIONS"]),
        Route("/api/attachments", attachments.reader_upload, methods=["POST"]),
        Route("/api/attachments", preflight, methods=["OPTIONS"]),
        Route("/api/attachments/{id}", attachments.download, methods=["GET"]),
        Route(reader_email.CONFIRM_PATH, reader_email.confirm, methods=["GET"]),
        WebSocketRoute("/ws/reader", reader_socket),
        # The path's name before the reader was called one: a widget.js a browser cached
        # from before still connects.
        WebSocketRoute("/ws/visitor", reader_socket),
        WebSocketRoute("/ws/operator", operator_socket),
        Route(op + "/login", operator_auth.login, methods=["POST"]),
        Route(op + "/logout", operator_auth.logout, methods=["POST"]),
        Route(op + "/me", operator_auth.me, methods=["GET"]),
        Route(op + "/inbox", operator_api.inbox, methods=["GET"]),
        Route(op + "/conversations", conversation_search_api.conversations, methods=["GET"]),
        Route(op + "/operators", operator_api.operators, methods=["GET"]),
        Route(op + "/presence", operator_api.presence, methods=["POST"]),
        Route(op + "/ratings", ratings.listing, methods=["GET"]),
        Route(op + "/failed-searches", failed_searches.listing, methods=["GET"]),
        Route(op + "/failed-searches/{id:int}/answer", failed_searches.answer,
              methods=["POST"]),
        Route(conv, operator_api.conversation, methods=["GET"]),
        Route(conv + "/reply", operator_api.reply, methods=["POST"]),
        Route(conv + "/note", operator_api.note, methods=["POST"]),
        Route(conv + "/assign", operator_api.assign, methods=["POST"]),
        Route(conv + "/close", operator_api.close, methods=["POST"]),
        Route(conv + "/reopen", operator_api.reopen, methods=["POST"]),
        Route(conv + "/attachments", attachments.operator_upload, methods=["POST"]),
        Route(conv + "/tags", tags_api.set_for_conversation, methods=["PUT"]),
        Route(op + "/tags", tags_api.catalog, methods=["GET"]),
        Route(op + "/tags", tags_api.add, methods=["POST"]),
        Route(op + "/tags/{name}", tags_api.remove, methods=["DELETE"]),
        Route(op + "/readers/{reader_id}", customer_api.profile, methods=["GET"]),
        Route(op + "/readers/{reader_id}/notes", customer_api.add_note, methods=["POST"]),
        Route(op + "/readers/{reader_id}/notes/{id:int}", customer_api.delete_note,
              methods=["DELETE"]),
        Route(op + "/customers/{user_id}", customer_api.by_user, methods=["GET", "PUT"]),
        Route(op + "/reminders", reminders_api.listing, methods=["GET"]),
        Route(op + "/reminders", reminders_api.add, methods=["POST"]),
        Route(op + "/reminders/{id:int}", reminders_api.change, methods=["POST", "PATCH"]),
        Route(op + "/replies", replies_api.listing, methods=["GET"]),
        Route(op + "/replies", replies_api.add, methods=["POST"]),
        Route(op + "/replies/{id:int}", replies_api.edit, methods=["POST", "PUT"]),
        Route(op + "/replies/{id:int}", replies_api.delete, methods=["DELETE"]),
        Route(op + "/articles", operator_api.articles, methods=["GET"]),
        Route("/operator", lambda request: RedirectResponse("/operator/")),
        Route("/operator/", operator_page),
        Mount("/operator/static", StaticFiles(directory=STATIC / "operator")),
        Mount("/widget", StaticFiles(directory=STATIC / "widget")),
    ]
    if settings.site_dir is not None:
        # The embedded default: one process serves the built site and the sidecar.
        routes.append(Mount("/", StaticFiles(directory=settings.site_dir, html=True)))
    return routes


def create_app(settings: ChatSettings, store: Store, broker: Broker,
               mailer: Mailer | None = None) -> Starlette:
    """Build the sidecar. The lifespan migrates the store and connects the broker."""
    chat = Chat(settings, store, broker, mailer or Mailer(settings.smtp_url, settings.email_from),
                Articles.load(settings.site_dir))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.migrate()
        await broker.connect()
        watchers = [asyncio.create_task(chat.team.watch_snoozes()),
                    asyncio.create_task(chat.presence.watch()),
                    asyncio.create_task(chat.reminders.watch()),
                    asyncio.create_task(daily_retention(settings, store))]
        try:
            with quiet_client_logs():
                yield
        finally:
            for watcher in watchers:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await chat.drain()
            await app.state.sessions.close()
            await app.state.login_throttle.close()
            await app.state.limits.close()
            await app.state.health.close()
            await broker.disconnect()
            await store.close()

    app = Starlette(routes=_routes(settings), lifespan=lifespan,
                    exception_handlers={404: http_error, 405: http_error})
    app.state.chat = chat
    app.state.signer = chat.signer
    app.state.popular = article_views.Popular(store, chat.articles)
    app.state.blobs = blob_store_for(settings, store)
    app.state.health = Health(store, settings.broker_url)
    app.state.limits = limits_for(settings.broker_url, settings.broker_prefix)
    app.state.sessions = Sessions(store, broker)
    app.state.passwords = Passwords()
    app.state.login_throttle = throttle_for(settings.broker_url, settings.broker_prefix)
    app.add_middleware(SecurityHeaders,
                       site=SitePolicy(settings) if settings.site_dir is not None else None)
    app.add_middleware(ForwardedHeaders, proxies=TrustedProxies.parse(settings.trusted_proxies))
    return app
