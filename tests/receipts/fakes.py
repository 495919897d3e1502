"""Fakes at the outer edge only: an SMS/WhatsApp HTTP gateway and a real SMTP server, both on a
free loopback port, both run in this process's threads.

FakeGateway behaves like a provider that honours idempotency keys: a request whose
Idempotency-Key it has seen is answered with the first message's id and not delivered again.
It can fail the first N requests, refuse numbers for good, or hold its answer (after it has
delivered the message: the worst moment for the sender to die)."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FakeGateway:
    fail_first: int = 0  # answer this many requests with `fail_status`
    fail_status: int = 503
    refuse: set[str] = field(default_factory=set)  # numbers refused with 400, for good
    hold_seconds: float = 0.0  # delay every answer (after delivering) this long, unless released
    token: str = "test-token"
    requests: list[dict] = field(default_factory=list)
    delivered: dict[str, dict] = field(default_factory=dict)  # idempotency key → message

    def __post_init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    n = len(gateway.requests)
                    if self.headers.get("Authorization") != f"Bearer {gateway.token}":
                        return self._answer(401, {"error": "bad token"})
                    if n <= gateway.fail_first:
                        return self._answer(gateway.fail_status, {"error": "try later"})
                    if body["to"] in gateway.refuse:
                        return self._answer(400, {"error": "invalid number"})
                    gateway.delivered.setdefault(key, {**body, "id": f"msg-{len(gateway.delivered) + 1}"})
                    answer = {"id": gateway.delivered[key]["id"]}
                gateway.arrived.set()
                if gateway.hold_seconds:
                    gateway.release.wait(gateway.hold_seconds)
                self._answer(200, answer)

            def _answer(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the sender was killed meanwhile
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"

    def config(self) -> dict:
        return {"BACKEND": "http", "URL": self.url, "TOKEN": self.token, "SENDER": "GLOWPS", "TIMEOUT": "5"}

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    """aiosmtpd on a free loopback port, keeping every message it accepts; addresses in
    `refuse` get 550 (a permanent refusal)."""

    def __init__(self, refuse: set[str] | None = None):
        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self.refuse = refuse or set()
        server = self

        class Handler:
            async def handle_RCPT(self, srv, session, envelope, address, rcpt_options):  # noqa: N802
                if address in server.refuse:
                    return "550 5.1.1 No such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, srv, session, envelope):  # noqa: N802
                server.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                        "data": envelope.content})
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
