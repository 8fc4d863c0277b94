"""Scale-out: two sidecar processes sharing PostgreSQL and Redis. A reader on one and an
operator on the other talk; killing one loses nothing the reader was told was saved."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from support.chat import (
    PASSWORD,
    free_port,
    recv,
    send,
    start_subprocess,
    stop_subprocess,
    write_config,
)
from websockets.asyncio.client import connect


async def test_two_processes_one_conversation(tmp_path: Path, shared: dict[str, str]) -> None:
    port_a, port_b = free_port(), free_port()
    config = write_config(tmp_path, port_a)
    a = await asyncio.to_thread(start_subprocess, config, port_a, shared)
    b = await asyncio.to_thread(start_subprocess, config, port_b, shared)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port_b}") as client:
            login = await client.post("/api/operator/login",
                                      json={"email": "anna@example.com", "password": PASSWORD})
            assert login.status_code == 200
            cookie = f"chat_session={client.cookies['chat_session']}"
        operator = await connect(f"ws://127.0.0.1:{port_b}/ws/operator",
                                 additional_headers={"Cookie": cookie})
        await recv(operator, "welcome")
        reader = await connect(f"ws://127.0.0.1:{port_a}/ws/reader")
        await send(reader, "hello")
        token = (await recv(reader, "welcome"))["token"]
        await send(operator, "presence", status="online")
        assert (await recv(reader, "availability"))["live"] is True  # B's presence reached A
        await send(reader, "message", client_id="q", body="Вопрос через процесс A")
        ack = await recv(reader, "ack")
        conversation_id = ack["conversation"]["id"]
        assert (await recv(operator, "message"))["message"]["body"] == "Вопрос через процесс A"
        await send(operator, "reply", conversation_id=conversation_id, client_id="r",
                   body="Ответ из процесса B")
        assert (await recv(reader, "message"))["message"]["body"] == "Ответ из процесса B"
        acked = {"q": ack["message"]["id"]}
        for n in range(10):
            await send(reader, "message", client_id=f"m{n}", body=f"ещё {n}",
                       conversation_id=conversation_id)
        for _ in range(5):
            frame = await recv(reader, "ack")
            acked[frame["client_id"]] = frame["message"]["id"]
        a.send_signal(signal.SIGKILL)
        await asyncio.to_thread(a.wait, 10)
        # The reader's widget reconnects to the surviving process and resumes.
        async with connect(f"ws://127.0.0.1:{port_b}/ws/reader") as again:
            await send(again, "hello", token=token)
            await recv(again, "welcome")
            await send(again, "resume", conversation_id=conversation_id, after_id=0)
            stored = {m["client_id"]: m["id"]
                      for m in (await recv(again, "history"))["messages"] if m["client_id"]}
        for client_id, message_id in acked.items():
            assert stored.get(client_id) == message_id, f"acknowledged {client_id} lost"
        await operator.close()
    finally:
        for process in (a, b):
            await asyncio.to_thread(stop_subprocess, process)
