"""Scale-out: two sidecar processes sharing PostgreSQL and Redis. A reader on one and an
operator on the other talk; killing one loses nothing the reader was told was saved."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from support.chat import login_cookie, recv, send, two_sidecars
from websockets.asyncio.client import connect


async def test_two_processes_one_conversation(tmp_path: Path, shared: dict[str, str]) -> None:
    async with two_sidecars(tmp_path, shared) as [(a, port_a), (_, port_b)]:
        operator = await connect(f"ws://127.0.0.1:{port_b}/ws/operator",
                                 additional_headers=await login_cookie(port_b))
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
