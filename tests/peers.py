"""The outer network edge, for real: an SMTP server (aiosmtpd) and an SMS gateway (HTTP)
on loopback. Tests read what they received."""

from __future__ import annotations

import email
import json
import threading
import time
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.helpers import free_port


class Mailbox:
    """Messages received, parsed; `reject` addresses get a permanent 550; `on_data` runs
    when a message arrives (before the server answers 250); `cut`: the connection is closed
    once the message is in, without an answer (a server dropping after DATA)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.reject: set[str] = set()
        self.on_data = None
        self.cut = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)
        if self.on_data:
            self.on_data(message)
        if self.cut:
            server.transport.close()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


def text(message) -> str:
    """The plain-text body of a received e-mail (Apprise may add an HTML alternative)."""
    return message.get_body(preferencelist=("plain",)).get_content()


class Smtp:
    def __init__(self) -> None:
        self.port = free_port()
        self.box = Mailbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


class Gateway:
    """An SMS gateway: records each POST; answers the next queued status (default 200),
    after `delay` seconds (a gateway that takes the message, then answers late)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, dict]] = []
        self.headers: list[dict] = []  # of each received POST, in the same order
        self.statuses: list[int] = []
        self.delay = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                if status == 200:
                    gateway.received.append((self.path, json.loads(body or b"{}")))
                    gateway.headers.append(dict(self.headers))
                if gateway.delay:
                    time.sleep(gateway.delay)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, phone: str) -> list[str]:
        wanted = (phone, phone.replace("+", "%2B"))
        return [payload["message"] for path, payload in self.received if path.endswith(wanted)]


@pytest.fixture
def smtp():
    server = Smtp()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.server.shutdown()


@pytest.fixture
def channels(home, smtp, gateway, monkeypatch):
    """A config whose channels are the loopback SMTP server and SMS gateway."""
    path = home.parent / "config.yaml"
    path.write_text(
        "notify:\n"
        f"  email_url: mailto://127.0.0.1:{smtp.port}?from=medstay@example.org&mode=insecure\n"
        f"  sms_url: json://127.0.0.1:{gateway.port}/sms/{{phone}}\n"
        "  helpline: '02 555 01 00'\n"
        "  alerts_to: ops@example.org\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("MEDSTAY_CONFIG", str(path))
    return path
