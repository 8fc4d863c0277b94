"""The broker, one suite for memory and Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from chat_server.broker import QUEUE_SIZE, Broker, Subscriber
from chat_server.protocol import conversation_frame


async def next_event(subscriber: Subscriber, timeout: float = 3.0) -> dict[str, Any]:
    return await asyncio.wait_for(subscriber.get(), timeout)


async def test_events_reach_subscribers_of_the_channel_only(broker: Broker) -> None:
    alice, bob = broker.subscriber(), broker.subscriber()
    alice.add("conversation:1")
    bob.add("conversation:2")
    await broker.publish("conversation:1", {"kind": "message", "id": 7, "body": "Привет"})
    event = await next_event(alice)
    assert event == {"kind": "message", "id": 7, "body": "Привет", "channel": "conversation:1"}
    await broker.publish("conversation:2", {"kind": "typing"})
    assert (await next_event(bob))["kind"] == "typing"
    assert alice.queue.empty()


async def test_one_subscriber_many_channels_and_removal(broker: Broker) -> None:
    sub = broker.subscriber()
    sub.add("operators")
    sub.add("conversation:5")
    await broker.publish("operators", {"n": 1})
    await broker.publish("conversation:5", {"n": 2})
    got = [await next_event(sub), await next_event(sub)]
    assert [e["n"] for e in got] == [1, 2]  # order of publication is kept
    sub.remove("conversation:5")
    await broker.publish("conversation:5", {"n": 3})
    await broker.publish("operators", {"n": 4})
    assert (await next_event(sub))["n"] == 4
    sub.close()
    assert not sub.channels


async def test_two_brokers_on_one_backend(broker: Broker) -> None:
    """For Redis this is two processes' view; memory brokers are separate by design."""
    from chat_server.broker import MemoryBroker, RedisBroker

    if isinstance(broker, MemoryBroker):
        other = MemoryBroker()
        sub = other.subscriber()
        sub.add("x")
        await broker.publish("x", {"n": 1})
        await asyncio.sleep(0.05)
        assert sub.queue.empty()
        return
    assert isinstance(broker, RedisBroker)
    other = RedisBroker(broker.url, broker.prefix)
    await other.connect()
    try:
        sub = other.subscriber()
        sub.add("conversation:9")
        await broker.publish("conversation:9", {"from": "process one"})
        assert (await next_event(sub))["from"] == "process one"
    finally:
        await other.disconnect()


async def test_slow_subscriber_is_flagged_not_blocking(broker: Broker) -> None:
    slow, fast = broker.subscriber(), broker.subscriber()
    slow.add("busy")
    fast.add("busy")
    for n in range(QUEUE_SIZE + 5):
        await broker.publish("busy", {"n": n})
        if fast.queue.qsize() > QUEUE_SIZE // 2:
            while not fast.queue.empty():
                fast.queue.get_nowait()
    for _ in range(100):
        if slow.overflowed:
            break
        await asyncio.sleep(0.02)
    assert slow.overflowed and not fast.overflowed


async def test_a_channel_s_subscribers_share_one_encoded_frame(broker: Broker) -> None:
    """Fan-out to N operators encodes the frame once, not N times."""
    first, second, other = broker.subscriber(), broker.subscriber(), broker.subscriber()
    first.add("operators")
    second.add("operators")
    other.add("reader:v1")
    event = {"kind": "message", "message": {"id": 1, "body": "Привет"},
             "conversation": {"id": 2}}
    await broker.publish("operators", event)
    await broker.publish("reader:v1", event)
    got_first, got_second = await next_event(first), await next_event(second)
    text = conversation_frame(got_first)
    assert conversation_frame(got_second) is text
    assert json.loads(text) == {"type": "message", "message": {"id": 1, "body": "Привет"},
                                "conversation": {"id": 2}}
    assert conversation_frame(await next_event(other)) == text  # another channel's copy


async def test_an_event_is_not_echoed_to_the_socket_it_came_from(broker: Broker) -> None:
    sender, colleague = broker.subscriber(origin="socket-1"), broker.subscriber("socket-2")
    for subscriber in (sender, colleague):
        subscriber.add("operators")
    await broker.publish("operators", {"kind": "message", "n": 1, "origin": "socket-1"})
    await broker.publish("operators", {"kind": "conversation", "n": 2})
    assert [(await next_event(colleague))["n"] for _ in range(2)] == [1, 2]
    assert (await next_event(sender))["n"] == 2  # its own message came back as an ack
