"""Who is talking: readers by a signed token, host-product users by HMAC, operators by session.

- Reader token: the visitor id signed with CHAT_SECRET_KEY; it lives in the browser's
  localStorage, so a reader can only ever name their own visitor id.
- `user_hash`: HMAC-SHA256(CHAT_IDENTITY_SECRET, user_id) in hex, computed by the host
  product's backend (the Intercom and Chatwoot scheme), proves a logged-in user's id.
- Operator session: a signed, HttpOnly, SameSite=Strict cookie naming the operator and a
  fingerprint of their password hash (changing the password ends every session); the CSRF
  token is an HMAC of the cookie that the page sends back in a header.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SESSION_COOKIE = "chat_session"
SESSION_MAX_AGE = 14 * 24 * 3600
CSRF_HEADER = "x-csrf-token"
LINK_MAX_AGE = 30 * 24 * 3600  # an emailed link to a conversation works for a month

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A real hash to verify against when the email is unknown, so a login for a missing
# account takes as long as one for an existing account (no user enumeration by timing).
DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def user_hash(identity_secret: str, user_id: str) -> str:
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify_user_hash(identity_secret: str, user_id: str, given: str) -> bool:
    if not identity_secret or not user_id or not given:
        return False
    return hmac.compare_digest(user_hash(identity_secret, user_id), given.lower())


def new_visitor_id() -> str:
    return "v_" + secrets.token_urlsafe(18)


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()
        self._visitors = URLSafeSerializer(secret_key, salt="chat-visitor")
        self._sessions = URLSafeTimedSerializer(secret_key, salt="chat-operator-session")
        self._links = URLSafeTimedSerializer(secret_key, salt="chat-email-link")

    def visitor_token(self, visitor_id: str) -> str:
        return self._visitors.dumps(visitor_id)

    def visitor_id(self, token: str | None) -> str | None:
        if not token:
            return None
        try:
            value = self._visitors.loads(token)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def reader_link(self, visitor_id: str) -> str:
        """For the link in an email reply: opens that reader's chat in any browser."""
        return self._links.dumps(visitor_id)

    def reader_from_link(self, link: str | None) -> str | None:
        if not link:
            return None
        try:
            value = self._links.loads(link, max_age=LINK_MAX_AGE)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def session(self, operator_id: int, password_hash: str) -> str:
        return self._sessions.dumps([operator_id, _fingerprint(password_hash)])

    def session_operator(self, cookie: str | None) -> tuple[int, str] | None:
        """(operator id, password fingerprint) of a valid, unexpired cookie."""
        if not cookie:
            return None
        try:
            value = self._sessions.loads(cookie, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return None
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
            return None
        return value[0], str(value[1])

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self._secret, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, cookie: str | None, given: str | None) -> bool:
        return bool(cookie and given) and hmac.compare_digest(
            self.csrf_token(cookie or ""), given or ""
        )


def password_matches_session(password_hash: str, fingerprint: str) -> bool:
    return hmac.compare_digest(_fingerprint(password_hash), fingerprint)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
