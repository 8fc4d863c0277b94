"""Operators' display names, cached for a few seconds: every message shown needs them."""

from __future__ import annotations

import asyncio
import time

from chat_server.store import Store

NAMES_TTL = 10.0


class OperatorNames:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._names: tuple[float, dict[int, str]] = (0.0, {})
        self._names_loading: asyncio.Future[dict[int, str]] | None = None

    async def get(self) -> dict[int, str]:
        # Names change rarely and every message needs them: a few seconds of staleness
        # (a renamed operator, a new one from another process) is cheaper than a query.
        # One query reloads them; messages arriving meanwhile use the stale names, or wait
        # for that query when there are none yet, instead of each sending its own.
        stamp, names = self._names
        if time.monotonic() - stamp <= NAMES_TTL:
            return names
        if self._names_loading is not None:
            return names if stamp else await asyncio.shield(self._names_loading)
        loading = self._names_loading = asyncio.get_running_loop().create_future()
        try:
            names = {op["id"]: op["name"] for op in await self.store.list_operators()}
            self._names = (time.monotonic(), names)
        finally:
            loading.set_result(names)  # on failure, waiters get the stale names
            self._names_loading = None
        return names
