"""The access token: every page and API call needs it.

The printed URL carries it as ``?token=``; the first visit turns it into an HttpOnly,
SameSite=Strict cookie (so links and forms work and scripts cannot read it); API clients
may send ``Authorization: Bearer TOKEN``. Without a token the answer is 401, with a
wrong one 403, one line each.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

COOKIE = "cabinleak_token"


def new_token() -> str:
    """A fresh random token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def given_token(request: Request) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came in the query (to set the cookie)."""
    query = request.query_params.get("token")
    if query:
        return query, True
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(COOKIE), False


def check(request: Request, token: str) -> tuple[int, str] | None:
    """None when the request may pass; else (status, one-line reason)."""
    given, _ = given_token(request)
    if not given:
        return 401, ("no access token: open the URL that cabinleak serve printed "
                     "(it ends in ?token=...), or send Authorization: Bearer TOKEN")
    if not secrets.compare_digest(given.encode(), token.encode()):
        return 403, "wrong access token"
    return None
