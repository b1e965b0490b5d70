"""Fixtures for the case, webhook and client-page tests: registered clients on the world's two
districts, an API client with a token, a small HTTP server on 127.0.0.1 that serves a photo, and
a webhook receiver that checks the signature and refuses replays."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO

import pytest
from PIL import Image
from rest_framework.test import APIClient

from api import services, webhooks


@dataclass
class Registered:
    client: object
    token: str

    def api(self) -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {self.token}")
        return api


def register(scope, name="城市运行管理中心"):
    client, token = services.register_client(actor=None, scope=scope, name=name, organisation="城市运行管理中心")
    return Registered(client, token)


@pytest.fixture
def city(world):
    """The city platform on E1's district (E1–E4 are in its scope, E5 is not)."""
    return register(world.e1.district)


@pytest.fixture
def other_city(world):
    """Another district's client (E5's district)."""
    return register(world.e5.district, name="另一区城市运行管理中心")


def png_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 6), (40, 80, 200)).save(buffer, "PNG")
    return buffer.getvalue()


class _Server:
    def __init__(self, handler):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def photo_server():
    """Serves a PNG at /photo.png and a text at /not-a-photo.txt."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            content = png_bytes() if self.path == "/photo.png" else b"hello"
            self.send_response(200 if self.path in ("/photo.png", "/not-a-photo.txt") else 404)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = _Server(Handler)
    yield server
    server.close()


@dataclass
class Receiver:
    """What the receiver saw: accepted events, refused requests, and how many 500s to answer first."""

    secret: str = ""
    fail_first: int = 0
    accepted: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    seen: set = field(default_factory=set)
    calls: int = 0


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 that does what the documentation tells a receiver to do:
    recompute the signature with its secret, refuse an old timestamp, refuse an event seen before."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            state.calls += 1
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.calls <= state.fail_first:
                return self._answer(500)
            ok = webhooks.verify(
                state.secret, self.headers["X-Estate-Timestamp"], body, self.headers["X-Estate-Signature"]
            )
            event = json.loads(body) if ok else {}
            if not ok or event["event_id"] in state.seen:
                state.refused.append(body)
                return self._answer(401 if not ok else 409)
            state.seen.add(event["event_id"])
            state.accepted.append((dict(self.headers), body, event))
            self._answer(200)

        def _answer(self, code):
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = _Server(Handler)
    state.url = f"{server.base}/hook"
    yield state
    server.close()
