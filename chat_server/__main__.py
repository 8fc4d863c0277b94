"""`python -m chat_server`: serve the sidecar, or manage operators. Thin: parse, call, exit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import getpass
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from builder.config.loader import load_config
from builder.errors import ConfigError
from chat_server import api_tokens, auth
from chat_server.settings import ENVIRONMENT, ChatSettings
from chat_server.store import DuplicateError, Store, open_store

DEMO_EMAIL = "demo@example.com"
ROLES = ("agent", "admin")
# How uvicorn serves the sidecar; bench/chat.py serves it with the same options.


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{exc}", file=sys.stderr)
        return 2
    command = args.command or "serve"
    if command == "serve":
        return serve(settings, args.host, args.port, getattr(args, "demo_operator", False))
    if command in ("backup", "restore"):
        return _backup_or_restore(command, settings, args)
    return asyncio.run(_admin(command, settings, args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chat_server",
        description="The help center's chat sidecar: live chat, ratings, failed searches. "
        "Secrets and deployment facts come from the environment: "
        + ", ".join(var.name for var in ENVIRONMENT) + ".")
    parser.add_argument("--config", type=Path, default=Path("config.yml"),
                        help="the help center's config.yml (default: ./config.yml)")
    commands = parser.add_subparsers(dest="command", metavar="command")
    serve_cmd = commands.add_parser("serve", help="run the sidecar (the default command)")
    # The serve options work before or after "serve"; SUPPRESS keeps the subcommand's
    # unset options from overwriting what was given before it.
    for sub, unset in ((parser, False), (serve_cmd, True)):
        def default(value: object, unset: bool = unset) -> object:
            return argparse.SUPPRESS if unset else value

        sub.add_argument("--site", type=Path, default=default(None),
                         help="also serve this built site folder (e.g. site/) at /")
        sub.add_argument("--host", default=default("127.0.0.1"), help="address to listen on")
        sub.add_argument("--port", type=int, default=default(8000), help="port to listen on")
        sub.add_argument("--demo-operator", action="store_true", default=default(False),
                         help=f"create {DEMO_EMAIL} with a printed password when there is "
                         "no operator yet (for trying it out)")
    add = commands.add_parser(
        "add-operator", help="create an operator account",
        description="Create an operator. The password is asked for, or read from stdin "
        "with --password-stdin (one line).")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--groups", default="", help="comma-separated groups, e.g. support,billing")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input")
    add.add_argument("--admin", action="store_true",
                     help="an admin (adds and removes the team's tags in the page); else an agent")
    role = commands.add_parser("set-role", help="make an operator an agent or an admin",
                               description="Make an operator an agent or an admin.")
    role.add_argument("--email", required=True)
    role.add_argument("role", choices=ROLES)
    token = commands.add_parser(
        "add-token", help="make an API token for scripts and integrations",
        description="Make an API token acting as an operator (with their role). It is "
        "printed once; only its hash is kept. Use it as 'Authorization: Bearer TOKEN'.")
    token.add_argument("--operator", dest="email", required=True, metavar="EMAIL")
    token.add_argument("--label", default="", help="what it is for, e.g. 'CRM sync'")
    commands.add_parser("list-tokens", help="list API tokens (never the tokens themselves)",
                        description="List API tokens with their operator, label and use.")
    revoke = commands.add_parser("revoke-token", help="revoke an API token",
                                 description="Revoke an API token by its id (list-tokens).")
    revoke.add_argument("id", type=int)
    commands.add_parser("list-operators", help="list operator accounts",
                        description="List operator accounts with their groups and status.")
    password = commands.add_parser("set-password", help="change an operator's password",
                                   description="Change a password; it ends their sessions.")
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true",
                          help="read the password from standard input")
    for name, text in (("disable-operator", "block an operator from logging in"),
                       ("enable-operator", "allow a disabled operator to log in again")):
        toggle = commands.add_parser(name, help=text, description=text.capitalize() + ".")
        toggle.add_argument("--email", required=True)
    commands.add_parser("migrate", help="apply pending database migrations",
                        description="Apply pending database migrations and exit.")
    _data_commands(commands)
    return parser


def _data_commands(commands: Any) -> None:
    """backup, restore and retention (chat_server/backup.py, chat_server/retention.py)."""
    backup_cmd = commands.add_parser(
        "backup", help="copy the store into a new file (safe while the sidecar runs)",
        description="Back up the store: SQLite by its online backup API, PostgreSQL by "
        "pg_dump --format=custom. Attachments kept in the database are in it; in a folder or an "
        "S3 bucket (CHAT_ATTACHMENTS_URL), copy those too.")
    backup_cmd.add_argument("--to", type=Path, required=True, metavar="PATH",
                            help="a new file (an existing one is never overwritten)")
    restore_cmd = commands.add_parser(
        "restore", help="restore a backup into an empty store",
        description="Restore a backup made by `backup` into the store CHAT_DATABASE_URL "
        "names, which must be empty (stop the sidecars first); then apply migrations.")
    restore_cmd.add_argument("--from", dest="source", type=Path, required=True,
                             metavar="PATH", help="the backup file")
    keep = commands.add_parser(
        "retention", help="delete or anonymise conversations older than N days",
        description="Delete (default) or anonymise conversations whose last activity is "
        "older than N days, and remove readers not seen since with nothing left. "
        "config.yml's chat.retention makes the running sidecar do this daily.")
    keep.add_argument("--days", type=int, required=True, help="keep the last N days")
    keep.add_argument("--anonymise", action="store_true",
                      help="keep the conversations' shape for reports, without any text, "
                      "name, email, address or attachment")
    keep.add_argument("--dry-run", action="store_true", help="only count what would go")


def _settings(args: argparse.Namespace) -> ChatSettings:
    config = load_config(args.config)
    site = getattr(args, "site", None)
    return ChatSettings.from_config(config, site_dir=site.resolve() if site else None)


async def _demo_operator(settings: ChatSettings) -> None:
    """For `make run`: one operator to log in with, created only into an empty team."""
    store = open_store(settings.database, settings.database_schema or None)
    try:
        await store.migrate()
        if await store.list_operators():
            print("operators exist; log in with one of them (python -m chat_server "
                  "list-operators)")
            return
        password = secrets.token_urlsafe(9)
        await store.add_operator(DEMO_EMAIL, "Demo operator", await _hash(password),
                                 ("support",), role="admin")
        print(f"demo operator: {DEMO_EMAIL} / {password}  (log in at /operator/)", flush=True)
    finally:
        await store.close()


def serve(settings: ChatSettings, host: str, port: int, demo: bool = False) -> int:
    import uvicorn

    from chat_server.app import create_app
    from chat_server.broker import open_broker
    from chat_server.runtime import SERVER_OPTIONS, tune_gc

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if demo:
        asyncio.run(_demo_operator(settings))
    app = create_app(settings, open_store(settings.database, settings.database_schema or None),
                     open_broker(settings.broker_url, settings.broker_prefix))
    tune_gc()
    uvicorn.run(app, host=host, port=port, **SERVER_OPTIONS)
    return 0


async def _hash(password: str) -> str:
    # argon2 in a thread: it is slow by design and this runs on an event loop.
    return await asyncio.to_thread(auth.hash_password, password)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise SystemExit("passwords differ")
    return first


async def _admin(command: str, settings: ChatSettings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.database, settings.database_schema or None)
    try:
        await store.migrate()
        return await _run_admin(store, command, args, settings)
    finally:
        await store.close()


async def _announce_ended(settings: ChatSettings, operator_id: int) -> None:
    """Tell running sidecars to close the operator's sockets now. With a `memory://` broker
    there is nobody to tell: their session watch notices within a second anyway."""
    from chat_server.broker import open_broker
    from chat_server.operator_sessions import announce_ended

    if settings.broker_url.startswith("memory"):
        return
    broker = open_broker(settings.broker_url, settings.broker_prefix)
    try:
        await broker.connect()
        await announce_ended(broker, operator_id)
    except Exception as exc:  # the sessions are ended in the database all the same
        print(f"could not reach the broker ({exc}); open pages close within a second",
              file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            await broker.disconnect()


async def _run_admin(store: Store, command: str, args: argparse.Namespace,
                     settings: ChatSettings) -> int:
    if command == "migrate":
        print("database is up to date")
        return 0
    if command == "retention":
        return await _retention(store, args, settings)
    if command == "list-operators":
        for op in await store.list_operators():
            state = "disabled" if op["disabled"] else op["status"]
            print(f"{op['id']}\t{op['email']}\t{op['name']}\t{','.join(op['groups'])}\t"
                  f"{op['role']}\t{state}")
        return 0
    if command in ("list-tokens", "revoke-token"):
        return await _tokens(store, command, args)
    if command == "add-operator":
        password = _read_password(args.password_stdin)
        if len(password) < 8:
            print("the password needs at least 8 characters", file=sys.stderr)
            return 1
        groups = tuple(g.strip() for g in args.groups.split(",") if g.strip())
        try:
            op = await store.add_operator(args.email, args.name, await _hash(password), groups,
                                          role="admin" if args.admin else "agent")
        except DuplicateError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"operator {op['id']} {op['email']} added")
        return 0
    operator = await store.operator_by_email(args.email)
    if operator is None:
        print(f"no operator with email {args.email!r}", file=sys.stderr)
        return 1
    if command == "add-token":
        token = api_tokens.new_token()
        made = await store.add_token(operator["id"], api_tokens.token_hash(token), args.label)
        print(f"token {made['id']} for {operator['email']} ({operator['role']}); it is shown "
              f"only now:\n{token}")
        return 0
    if command == "set-role":
        await store.update_operator(operator["id"], role=args.role)
        print(f"{operator['email']} is now an {args.role}")
        return 0
    if command == "set-password":
        password = _read_password(args.password_stdin)
        if len(password) < 8:
            print("the password needs at least 8 characters", file=sys.stderr)
            return 1
        # The store ends the operator's sessions in the same transaction.
        await store.update_operator(operator["id"], password_hash=await _hash(password))
    else:
        await store.update_operator(operator["id"], disabled=command == "disable-operator")
    if command in ("set-password", "disable-operator"):
        await _announce_ended(settings, operator["id"])
    print(f"{command}: {operator['email']} done")
    return 0


async def _tokens(store: Store, command: str, args: argparse.Namespace) -> int:
    if command == "revoke-token":
        if not await store.revoke_token(args.id):
            print(f"no live token {args.id}", file=sys.stderr)
            return 1
        print(f"token {args.id} revoked")
        return 0
    emails = {op["id"]: op["email"] for op in await store.list_operators()}
    for t in await store.list_tokens():
        state = "revoked" if t["revoked_at"] else "live"
        used = _when(t["last_used_at"]) if t["last_used_at"] else "never used"
        print(f"{t['id']}\t{emails.get(t['operator_id'], '?')}\t{t['label']}\t{state}\t{used}")
    return 0


def _backup_or_restore(command: str, settings: ChatSettings, args: argparse.Namespace) -> int:
    from chat_server import backup

    target = backup.Target(settings.database, settings.database_schema)
    try:
        if command == "backup":
            print(backup.backup(target, args.to))
            return 0
        print(backup.restore(target, args.source))
    except backup.BackupError as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return 1
    # A backup of an older version comes up to this one's schema now, not at first start.
    return asyncio.run(_admin("migrate", settings, args))


async def _retention(store: Store, args: argparse.Namespace, settings: ChatSettings) -> int:
    from chat_server import retention
    from chat_server.blob_store import blob_store_for

    try:
        policy = retention.Policy(args.days, "anonymise" if args.anonymise else "delete")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
    done = await retention.apply(store, policy, settings.data_dir, now, dry_run=args.dry_run,
                                 blobs=blob_store_for(settings, store))
    print(done.describe(policy.mode, dry_run=args.dry_run))
    return 0


def _when(ms: int) -> str:
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


if __name__ == "__main__":
    sys.exit(main())
