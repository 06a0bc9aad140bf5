"""Serving on every interface: browsers that reach the dashboards by a configured host name get their websocket;
other origins still get 403 (Bokeh's guard against cross-site websocket hijacking). A real `fireside-lab serve` on
0.0.0.0 and a real websocket client (tornado's) sending the `Origin` header a browser would send."""
from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from browser import fireside_server
from jobs_helpers import data_env


PASSWORD = "correct horse battery staple"


def _sign_in(base: str) -> str:
    "Sign in through the login form (a real POST); returns the session cookie for the `Cookie` header."
    import urllib.error
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    body = urllib.parse.urlencode({"username": "rita", "password": PASSWORD, "next": "/jobs"}).encode()
    try:
        urllib.request.build_opener(NoRedirect).open(base + "/login", data=body, timeout=30)
        raise AssertionError("sign-in did not redirect")
    except urllib.error.HTTPError as e:
        assert e.code == 302, e.code
        return e.headers["Set-Cookie"].split(";")[0]


def _handshake(base: str, origin: str, cookie: str) -> int:
    "HTTP status of a websocket handshake to the jobs dashboard from a page of `origin` (101: accepted)."
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    async def go() -> int:
        url = base.replace("http://", "ws://") + "/jobs/ws"
        try:
            conn = await websocket_connect(HTTPRequest(url, headers={"Origin": origin, "Cookie": cookie}, request_timeout=30))
        except HTTPClientError as e:
            return e.code
        conn.close()
        return 101
    return asyncio.run(go())


def test_configured_host_names_get_their_websocket_others_403(tmp_path):
    from fireside_lab.identity import add_user
    with data_env(tmp_path):
        add_user("rita", "researcher", PASSWORD, actor="test")
        with fireside_server({"FIRESIDE_WEB_ALLOWED_HOSTS": "lab.example"}, address="0.0.0.0") as base:
            port = urlparse(base).port
            cookie = _sign_in(base)
            assert _handshake(base, f"http://lab.example:{port}", cookie) == 101   # a browser on lab.example:<port>
            assert _handshake(base, f"http://127.0.0.1:{port}", cookie) == 101
            assert _handshake(base, f"http://evil.example:{port}", cookie) == 403  # any other site: refused
            assert _handshake(base, "http://lab.example:1", cookie) == 403         # another port: refused
