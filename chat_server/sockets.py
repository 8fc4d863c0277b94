"""The loop every websocket runs: frames in (validated, rate-limited), events out.

One task reads frames, one forwards broker events; whichever ends first ends the socket.
A protocol violation closes it with the named code; nothing a client sends can raise out
of here into uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from chat_server.broker import Subscriber
from chat_server.limits import RateLimiter
from chat_server.protocol import Close, Field, ProtocolError, parse

log = logging.getLogger(__name__)

FRAMES_PER_SECOND = 5.0
FRAME_BURST = 30
Send = Callable[[str], Awaitable[None]]
Handler = Callable[[dict[str, Any], Send], Awaitable[None]]
Translator = Callable[[dict[str, Any]], Awaitable[str | None]]


class Connection:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self._lock = asyncio.Lock()
        self.limiter = RateLimiter(FRAMES_PER_SECOND, FRAME_BURST)

    async def send(self, text: str) -> None:
        # Acks (reader task) and events (writer task) share the socket: one sender at a time.
        async with self._lock:
            await self.websocket.send_text(text)

    async def receive(self, schema: dict[str, dict[str, Field]]) -> dict[str, Any] | None:
        """The next valid frame, None when the client went away."""
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        raw = message.get("text")
        data = parse(raw if raw is not None else message.get("bytes"), schema)
        if not self.limiter.allow("frames"):
            raise ProtocolError(Close.RATE_LIMITED, "too many frames")
        return data

    async def close(self, code: int, reason: str = "") -> None:
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.websocket.close(code, reason)

    async def run(self, schema: dict[str, dict[str, Field]], handle: Handler,
                  subscriber: Subscriber, translate: Translator) -> None:
        async def reader() -> None:
            while True:
                data = await self.receive(schema)
                if data is None:
                    return
                await handle(data, self.send)

        async def writer() -> None:
            while True:
                event = await subscriber.get()
                if subscriber.overflowed:
                    raise ProtocolError(Close.OVERLOADED, "too slow to keep up")
                text = await translate(event)
                if text is not None:
                    await self.send(text)

        tasks = [asyncio.create_task(reader()), asyncio.create_task(writer())]
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            await self.close(Close.NORMAL)
        except ProtocolError as exc:
            await self.close(exc.code, exc.reason)
        except (WebSocketDisconnect, OSError, RuntimeError):
            pass  # the client left mid-send; nothing to tell them
        except Exception:
            log.exception("websocket handler failed")
            await self.close(1011, "server error")
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            subscriber.close()
