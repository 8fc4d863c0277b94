"""Operator socket leases, on SQLite and PostgreSQL: an operator is connected while one of
their sockets holds an unexpired lease, and a lease is only ever taken through a live
session."""

from __future__ import annotations

import time

from chat_server.store import Store


def now_ms() -> int:
    return int(time.time() * 1000)


async def test_a_lease_counts_until_it_expires_or_goes(store: Store) -> None:
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    boris = await store.add_operator("boris@example.com", "Борис", "hash")
    now = now_ms()
    await store.add_session("s-anna", anna["id"], now + 3_600_000)
    await store.add_session("s-boris", boris["id"], now + 3_600_000)
    assert await store.operators_with_sockets(now) == set()
    assert await store.renew_socket("tab-1", "s-anna", now + 10_000, now)
    assert await store.renew_socket("tab-2", "s-anna", now + 10_000, now)
    assert await store.renew_socket("tab-3", "s-boris", now + 5_000, now)
    assert await store.operators_with_sockets(now) == {anna["id"], boris["id"]}
    # Boris's process died: his lease was not renewed and no longer counts.
    assert await store.operators_with_sockets(now + 6_000) == {anna["id"]}
    # Anna closes one tab; the other keeps her connected. A renewal moves the expiry.
    await store.drop_socket("tab-1")
    assert await store.renew_socket("tab-2", "s-anna", now + 20_000, now + 6_000)
    assert await store.operators_with_sockets(now + 15_000) == {anna["id"]}
    await store.drop_socket("tab-2")
    assert await store.operators_with_sockets(now) == {boris["id"]}


async def test_an_expired_lease_is_taken_again_by_its_socket(store: Store) -> None:
    """A process that stalled past the expiry (and whose row another socket's renewal swept
    away) gets its lease back on the next renewal while the session lives."""
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    boris = await store.add_operator("boris@example.com", "Борис", "hash")
    now = now_ms()
    await store.add_session("s-anna", anna["id"], now + 3_600_000)
    await store.add_session("s-boris", boris["id"], now + 3_600_000)
    assert await store.renew_socket("tab-a", "s-anna", now + 1_000, now)
    assert await store.renew_socket("tab-b", "s-boris", now + 60_000, now + 2_000)
    assert await store.operators_with_sockets(now + 2_000) == {boris["id"]}
    assert await store.renew_socket("tab-a", "s-anna", now + 12_000, now + 2_000)
    assert await store.operators_with_sockets(now + 2_000) == {anna["id"], boris["id"]}


async def test_logout_drops_the_session_leases_and_no_renewal_brings_them_back(
        store: Store) -> None:
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    now = now_ms()
    await store.add_session("laptop", anna["id"], now + 3_600_000)
    await store.add_session("phone", anna["id"], now + 3_600_000)
    assert await store.renew_socket("laptop-tab", "laptop", now + 10_000, now)
    assert await store.renew_socket("phone-tab", "phone", now + 10_000, now)
    assert await store.end_session("laptop")
    assert await store.drop_session_sockets("laptop") == 1
    # The laptop's socket is still closing; its last renewal must not make it count again.
    assert not await store.renew_socket("laptop-tab", "laptop", now + 10_000, now)
    assert await store.operators_with_sockets(now) == {anna["id"]}  # the phone is open
    assert await store.end_session("phone")
    assert await store.drop_session_sockets("phone") == 1
    assert await store.operators_with_sockets(now) == set()
    # A session unknown or expired takes no lease either.
    await store.add_session("old", anna["id"], now - 1)
    assert not await store.renew_socket("old-tab", "old", now + 10_000, now)
    assert not await store.renew_socket("x-tab", "never", now + 10_000, now)
    assert await store.operators_with_sockets(now) == set()


async def test_a_disabled_operator_is_not_connected(store: Store) -> None:
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    now = now_ms()
    await store.add_session("s", anna["id"], now + 3_600_000)
    assert await store.renew_socket("tab", "s", now + 10_000, now)
    await store.update_operator(anna["id"], disabled=True)
    assert await store.operators_with_sockets(now) == set()


async def test_what_each_page_shows_is_kept_with_its_lease(store: Store) -> None:
    """A page opened later learns who is already looking at what, from any process."""
    anna = await store.add_operator("anna@example.com", "Анна", "hash")
    now = now_ms()
    await store.add_session("s-anna", anna["id"], now + 3_600_000)
    assert await store.renew_socket("tab-1", "s-anna", now + 10_000, now)
    assert await store.renew_socket("tab-2", "s-anna", now + 5_000, now)
    assert await store.viewers(now) == []
    await store.set_viewing("tab-1", 42)
    await store.set_viewing("tab-2", 7)
    assert sorted((v["socket"], v["conversation_id"]) for v in await store.viewers(now)) == [
        ("tab-1", 42), ("tab-2", 7)]
    assert [v["socket"] for v in await store.viewers(now + 6_000)] == ["tab-1"]  # tab-2 died
    await store.set_viewing("tab-1", None)
    assert await store.viewers(now) == [{"socket": "tab-2", "operator_id": anna["id"],
                                         "conversation_id": 7}]
