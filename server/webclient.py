"""The key-account managers' web client: static files at /app (webclient/ in the
repository, no build step), served with a strict Content-Security-Policy.

The files hold no data (everything comes from /graphql with the session's bearer
token), so they are public, in production too: the sign-in screen is among them.
"""

from __future__ import annotations

from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WEBCLIENT = Path(__file__).resolve().parent.parent / "webclient"

#: Scripts, styles, images and connections only from this origin; no inline script or
#: style, no plugins, no framing, no <base>, forms post nowhere but here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class WithPolicy:
    """The client's files with the headers above (nosniff and no-store come from the
    hardening middleware, as for every response)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_policy)


async def _to_app(_: object) -> RedirectResponse:
    return RedirectResponse("/app/", status_code=307)


def routes(directory: Path = WEBCLIENT) -> list[Route | Mount]:
    return [
        Route("/", _to_app, methods=["GET", "HEAD"]),
        Route("/app", _to_app, methods=["GET", "HEAD"]),
        Mount("/app", app=WithPolicy(StaticFiles(directory=directory, html=True)), name="webclient"),
    ]
