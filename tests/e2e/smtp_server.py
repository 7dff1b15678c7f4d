"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd): it keeps what it receives and
refuses, fails or asks for TLS and login as a test tells it."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from treemerge.deliver.email import Encryption, SmtpSettings

USER = "libvirt-bot"
PASSWORD = "s3cret-Pa55"
SENDER = "Libvirt Maintainer <libvirt@example.org>"
# Every header a treemerge pull request mail carries, and nothing more.
MAIL_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "x-mailer",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


@dataclass
class Received:
    mail_from: str | None
    rcpt_tos: list[str]
    content: bytes
    authenticated: bool
    encrypted: bool

    def parsed(self) -> EmailMessage:
        message = message_from_bytes(self.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Recorder:
    """An aiosmtpd handler keeping every message, or refusing as a test tells it."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> reply
    data_reply: str | None = None  # reply to DATA instead of accepting

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: object
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        received = Received(
            envelope.mail_from,
            list(envelope.rcpt_tos),
            envelope.original_content or b"",
            bool(session.authenticated),
            session.ssl is not None or _implicit_tls(server),
        )
        self.received.append(received)
        return "250 Message accepted for delivery"


def _implicit_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@dataclass
class Server:
    handler: Recorder
    port: int

    def settings(
        self,
        *,
        encryption: Encryption = "none",
        user: str | None = None,
        password: str | None = None,
        cafile: str | None = None,
    ) -> SmtpSettings:
        return SmtpSettings(
            server="127.0.0.1",
            port=self.port,
            encryption=encryption,
            user=user,
            password=password,
            sender=SENDER,
            timeout=5,
            cafile=cafile,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """Start an SMTP server on 127.0.0.1 (aiosmtpd options as keywords); it offers
    AUTH without TLS, accepting only USER and PASSWORD."""
    controllers: list[Controller] = []

    def start(**options: Any) -> Server:
        handler, port = Recorder(), free_port()
        controllers.append(started(handler, port, **options))
        return Server(handler, port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def server(serve: Callable[..., Server]) -> Server:
    return serve()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (made with openssl, as the
    `cryptography` package is not a test dependency)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the TLS tests")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-subj", "/CN=localhost", "-days", "1", "-keyout", str(key)),
            *("-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def started(handler: Recorder, port: int, **options: Any) -> Controller:
    """A running aiosmtpd server on 127.0.0.1:port offering AUTH without TLS."""
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        **options,
    )
    controller.start()
    return controller


@contextmanager
def smtp_on(port: int) -> Iterator[Recorder]:
    """An SMTP server on a given port of 127.0.0.1 (one that was down a moment ago)."""
    handler = Recorder()
    controller = started(handler, port)
    try:
        yield handler
    finally:
        controller.stop()
