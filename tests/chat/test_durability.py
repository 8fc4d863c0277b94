"""The command line, and SIGKILL mid-conversation: no acknowledged message is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from support.chat import ROOT, free_port, recv, send, start_subprocess, write_config
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat_server.__main__ import main

ADMIN_COMMANDS = ("serve", "add-operator", "list-operators", "set-password",
                  "disable-operator", "enable-operator", "migrate")


def cli(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chat_server", "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={**os.environ, "CHAT_SECRET_KEY": "subprocess-secret"})


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    top = subprocess.run([sys.executable, "-m", "chat_server", "--help"], capture_output=True,
                         text=True, cwd=ROOT, timeout=60)
    assert top.returncode == 0
    for command in ADMIN_COMMANDS:
        assert command in top.stdout
        # In process: the same parser, without paying for a Python start per command.
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0 and "usage:" in capsys.readouterr().out


def test_config_errors_are_reported_with_lines(tmp_path: Path) -> None:
    config = write_config(tmp_path, 8000, extra="  reply_minutes: soon\n")
    result = cli(config, "list-operators")
    assert result.returncode == 2
    assert "config.yml:" in result.stderr and "chat.reply_minutes" in result.stderr


async def test_serve_declines_per_message_deflate(tmp_path: Path) -> None:
    """`serve` runs uvicorn without compression: a client's offer (websockets makes one by
    default, as browsers do) is declined, and frames go out as plain JSON text."""
    port = free_port()
    process = start_subprocess(write_config(tmp_path, port), port)
    try:
        async with connect(f"ws://127.0.0.1:{port}/ws/reader") as ws:
            await send(ws, "hello")
            await recv(ws, "welcome")
            assert ws.protocol.extensions == []
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


async def test_sigkill_loses_no_acknowledged_message(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    added = cli(config, "add-operator", "--email", "anna@example.com", "--name", "Анна",
                "--groups", "support", "--password-stdin", stdin="long enough password\n")
    assert added.returncode == 0, added.stderr
    assert cli(config, "add-operator", "--email", "anna@example.com", "--name", "Again",
               "--password-stdin", stdin="long enough password\n").returncode == 1
    listed = cli(config, "list-operators").stdout
    assert "anna@example.com\tАнна\tsupport\tagent\taway" in listed
    assert (tmp_path / "data" / "chat.db").is_file()

    process = start_subprocess(config, port)
    try:
        ws = await connect(f"ws://127.0.0.1:{port}/ws/reader")
        await send(ws, "hello")
        token = (await recv(ws, "welcome"))["token"]
        await send(ws, "message", client_id="first", body="start")
        first = await recv(ws, "ack")
        conversation_id = first["conversation"]["id"]
        acked = {"first": first["message"]["id"]}
        # Many messages in flight, then the kill while acks are still coming back.
        for n in range(25):
            await send(ws, "message", client_id=f"m{n}", body=f"message {n}",
                       conversation_id=conversation_id)
        try:
            while True:
                frame = await recv(ws, "ack", timeout=10)
                acked[frame["client_id"]] = frame["message"]["id"]
                if len(acked) == 8:
                    process.send_signal(signal.SIGKILL)
        except (ConnectionClosed, OSError, TimeoutError):
            pass
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        assert len(acked) >= 8
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    process = start_subprocess(config, port)
    try:
        async with connect(f"ws://127.0.0.1:{port}/ws/reader") as ws:
            await send(ws, "hello", token=token)
            await recv(ws, "welcome")
            await send(ws, "resume", conversation_id=conversation_id, after_id=0)
            stored = {m["client_id"]: m["id"] for m in (await recv(ws, "history"))["messages"]}
            for client_id, message_id in acked.items():
                assert stored.get(client_id) == message_id, f"acknowledged {client_id} lost"
            # The widget resends whatever had no ack: nothing is duplicated.
            for n in range(25):
                await send(ws, "message", client_id=f"m{n}", body=f"message {n}",
                           conversation_id=conversation_id)
                ack = await recv(ws, "ack")
                if f"m{n}" in acked:
                    assert ack["message"]["id"] == acked[f"m{n}"]
            await send(ws, "resume", conversation_id=conversation_id, after_id=0)
            history = (await recv(ws, "history"))["messages"]
            assert len(history) == 26 and len({m["client_id"] for m in history}) == 26
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            login = await client.post("/api/operator/login", json={
                "email": "anna@example.com", "password": "long enough password"})
            assert login.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("the sidecar did not stop on SIGTERM")
