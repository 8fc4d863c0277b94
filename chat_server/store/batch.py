"""Group commit for SQLite: messages that arrive together are written in one transaction.

SQLite has one writer and every commit is a disk sync; at chat rates most of a write's cost
is the transaction, not the row. Writers queue here; one task takes everything queued (up to
BATCH_LIMIT), writes it in one transaction and commits, and only then answers each writer —
so "committed before acknowledged" holds for every message of the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger(__name__)

BATCH_LIMIT = 200
Write = Callable[[AsyncConnection], Awaitable[Any]]


class GroupCommit:
    def __init__(self, begin: Callable[[], contextlib.AbstractAsyncContextManager[
            AsyncConnection]]) -> None:
        self._begin = begin
        self._queue: asyncio.Queue[tuple[Write, asyncio.Future[Any]]] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    async def run(self, write: Write) -> Any:
        """Run `write(conn)` in the next batch; its result once the batch is committed.
        An exception `write` returns (not raises) is raised to this caller only."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((write, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work())
        result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < BATCH_LIMIT:
                batch.append(self._queue.get_nowait())
            try:
                async with self._begin() as conn:
                    results = [await write(conn) for write, _future in batch]
            except Exception as exc:  # the commit itself failed: nobody's write is saved
                log.exception("group commit of %d writes failed", len(batch))
                results = [exc] * len(batch)
            for (_write, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
