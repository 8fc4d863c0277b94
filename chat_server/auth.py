"""Who is talking: readers by a signed token, host-product users by HMAC, operators by session.

- Reader token: the reader id signed with CHAT_SECRET_KEY; it lives in the browser's
  localStorage, so a reader can only ever name their own reader id.
- `user_hash`: HMAC-SHA256(CHAT_IDENTITY_SECRET, user_id) in hex, computed by the host
  product's backend (the Intercom and Chatwoot scheme), proves a logged-in user's id.
- Operator session: an HttpOnly, SameSite=Strict cookie carrying a random session id; the
  store keeps only its hash (chat_server/operator_sessions.py). The CSRF token is an HMAC of
  that id, so it is bound to the session and dies with it.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SESSION_COOKIE = "chat_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_HEADER = "x-csrf-token"
LINK_MAX_AGE = 30 * 24 * 3600  # an emailed link to a conversation works for a month
# argon2 keeps the cores busy for about 0.1 s by design (its 4 lanes run in threads, and
# argon2-cffi lets go of the GIL). At most half the machine's cores' worth of hashes at a
# time: logins queue, and the event loop keeps a core to answer everyone else (a burst of
# 20 logins with two at a time on 2 cores held other readers' messages ~75 ms).
PASSWORD_THREADS = max(1, (os.cpu_count() or 2) // 2)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Blocking: in the event loop use `Passwords.hash`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Blocking: in the event loop use `Passwords.verify`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A real hash to verify against when the email is unknown, so a login for a missing
    account takes as long as one for an existing account (no user enumeration by timing).
    Made on first use, not at import."""
    return _hasher.hash(secrets.token_urlsafe(16))


class Passwords:
    """argon2 off the event loop, at most `threads` hashes at a time."""

    def __init__(self, threads: int = PASSWORD_THREADS) -> None:
        self._slots = asyncio.Semaphore(threads)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(hash_password, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """`None` for an account that does not exist: it costs the same and fails."""
        async with self._slots:
            if password_hash is None:
                await asyncio.to_thread(verify_password, dummy_hash(), password)
                return False
            return await asyncio.to_thread(verify_password, password_hash, password)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    """What the store keeps of a session id: enough to find it, useless as a cookie."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def user_hash(identity_secret: str, user_id: str) -> str:
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_user_hash(identity_secret: str, user_id: str, given: str) -> bool:
    if not identity_secret or not user_id or not given:
        return False
    return hmac.compare_digest(user_hash(identity_secret, user_id), given.lower())


def new_reader_id() -> str:
    return "v_" + secrets.token_urlsafe(18)


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()
        # The salt keeps its old name: it is part of every token readers already hold.
        self._readers = URLSafeSerializer(secret_key, salt="chat-visitor")
        self._links = URLSafeTimedSerializer(secret_key, salt="chat-email-link")

    def reader_token(self, reader_id: str) -> str:
        return self._readers.dumps(reader_id)

    def reader_id(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            value = self._readers.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def reader_link(self, reader_id: str) -> str:
        """For the link in an email reply: opens that reader's chat in any browser."""
        return self._links.dumps(reader_id)

    def reader_from_link(self, link: str | None) -> str | None:
        if not link:
            return None
        try:
            value = self._links.loads(link, max_age=LINK_MAX_AGE)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self._secret, b"csrf:" + session_id.encode(),
                        hashlib.sha256).hexdigest()

    def check_csrf(self, session_id: str, given: str | None) -> bool:
        # Bytes, not str: compare_digest refuses str with non-ASCII characters (TypeError),
        # and a header is whatever a client sent.
        if not given:
            return False
        expected = self.csrf_token(session_id).encode()
        return hmac.compare_digest(expected, given.encode("utf-8", "surrogateescape"))
