"""Email delivery against a real SMTP server on 127.0.0.1 (aiosmtpd): headers, body,
threading, header injection, RFC 2047, STARTTLS and implicit TLS, login, and how each
failure is reported. Nothing leaves the loopback interface."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.e2e.smtp_server import (
    MAIL_HEADERS,
    PASSWORD,
    SENDER,
    USER,
    Received,
    Server,
    free_port,
    server_tls,
)
from treemerge.core.config import DeliveryConfig
from treemerge.deliver import DeliveryError, PullMessage
from treemerge.deliver import email as email_delivery
from treemerge.deliver.email import (
    SmtpSettings,
    build_email,
    send_email,
    smtp_settings,
)
from treemerge.gitio.config import read_git_config

# A body as people write them: a line SMTP must dot-stuff, a "From " line an mbox
# writer would mangle, and a shortlog line far longer than 78 characters.
BODY = (
    "Hi Top,\n\n"
    "The following changes since commit 1111111111111111111111111111111111111111:\n"
    ".dotfile handling\n"
    "From the libvirt team, with thanks.\n"
    "  " + "very long shortlog entry " * 12 + "\n"
    "\n-- \nLibvirt Maintainer\n"
)
PULL = PullMessage(
    subsystem="libvirt",
    subject="[GIT PULL] LIBVIRT DRIVER for main 2026-11-22",
    body_text=BODY,
    body_markdown="(not used by email)",
    tag="libvirt-for-main-2026-11-22",
    url="https://git.example.org/libvirt.git",
    head="1" * 40,
    base="2" * 40,
    head_branch="for-main",
    base_branch="master",
    sender=None,
    to=("Top Maintainer <top@example.org>",),
    cc=("nova-libvirt@lists.example.org", '"Doe, Jane" <jane@example.org>'),
    message_id="<treemerge.libvirt.0123456789abcdef0123@example.org>",
)
RECIPIENTS = ["top@example.org", "nova-libvirt@lists.example.org", "jane@example.org"]
DATE = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def only(server: Server) -> Received:
    assert len(server.handler.received) == 1
    return server.handler.received[0]


# --- what arrives ---------------------------------------------------------------------


def test_delivers_headers_and_body(server: Server) -> None:
    assert send_email(PULL, server.settings()) == PULL.message_id
    received = only(server)
    assert received.mail_from == "libvirt@example.org"
    assert received.rcpt_tos == RECIPIENTS
    assert b"\n" not in received.content.replace(b"\r\n", b"")  # CRLF line ends only
    mail = received.parsed()
    assert {name.lower() for name in mail} == MAIL_HEADERS
    assert mail["From"] == SENDER
    assert mail["To"] == "Top Maintainer <top@example.org>"
    assert [a.addr_spec for a in mail["Cc"].addresses] == RECIPIENTS[1:]
    assert mail["Cc"].addresses[1].display_name == "Doe, Jane"
    assert mail["Subject"] == PULL.subject
    assert mail["Message-ID"] == PULL.message_id
    assert mail["MIME-Version"] == "1.0"
    assert mail["X-Mailer"] == "treemerge"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    assert abs(mail["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=5)
    # ASCII with lines under 998 bytes goes as it is: the body arrives byte for byte.
    assert mail["Content-Transfer-Encoding"] == "7bit"
    assert received.content.split(b"\r\n\r\n", 1)[1] == BODY.replace("\n", "\r\n").encode()
    assert mail.get_content().replace("\r\n", "\n") == BODY


def test_long_lines_and_non_ascii_go_quoted_printable(server: Server) -> None:
    body = "Grüße from the libvirt team\n" + "x" * 2500 + "\nend\n"
    send_email(replace(PULL, body_text=body), server.settings())
    received = only(server)
    mail = received.parsed()
    assert mail["Content-Transfer-Encoding"] == "quoted-printable"
    assert max(len(line) for line in received.content.split(b"\r\n")) <= 78
    assert mail.get_content().replace("\r\n", "\n") == body


def test_date_is_the_one_given() -> None:
    mail = build_email(PULL, sender=SENDER, date=DATE)
    assert mail["Date"] == "Sun, 22 Nov 2026 09:30:00 +0100"


def test_resend_threads_under_the_first_message(server: Server) -> None:
    first = "<treemerge.libvirt.ffffffffffffffffffff@example.org>"
    send_email(replace(PULL, in_reply_to=first), server.settings())
    mail = only(server).parsed()
    assert mail["In-Reply-To"] == first
    assert mail["References"] == first
    assert mail["Message-ID"] == PULL.message_id


def test_sender_of_the_pull_wins_over_settings(server: Server) -> None:
    send_email(replace(PULL, sender="Other <other@example.org>"), server.settings())
    received = only(server)
    assert received.mail_from == "other@example.org"
    assert received.parsed()["From"] == "Other <other@example.org>"


# --- hostile text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "shown"),
    [
        (
            "[GIT PULL] fix\r\nBcc: victim@example.org\x1b[31m",
            "[GIT PULL] fix\\r\\nBcc: victim@example.org\\x1b[31m",
        ),
        ("[GIT PULL] a\nBcc: victim@example.org", "[GIT PULL] a\\nBcc: victim@example.org"),
        ("[GIT PULL] a\rBcc: victim@example.org", "[GIT PULL] a\\rBcc: victim@example.org"),
        ("[GIT PULL] \u202eevil\x00", "[GIT PULL] \\u202eevil\\x00"),
        # RFC 2047 words that decode to CR LF must arrive as the literal text.
        (
            "[GIT PULL] =?utf-8?q?=0D=0ABcc:_victim@example.org?= done",
            "[GIT PULL] =?utf-8?q?=0D=0ABcc:_victim@example.org?= done",
        ),
        (
            "x=?utf-8?b?DQpCY2M6IHZAZXhhbXBsZS5vcmc=?=y",
            "x=?utf-8?b?DQpCY2M6IHZAZXhhbXBsZS5vcmc=?=y",
        ),
    ],
)
def test_hostile_subject_cannot_add_a_header(server: Server, subject: str, shown: str) -> None:
    send_email(replace(PULL, subject=subject), server.settings())
    received = only(server)
    mail = received.parsed()
    assert {name.lower() for name in mail} == MAIL_HEADERS
    assert received.rcpt_tos == RECIPIENTS
    assert mail["Subject"] == shown
    assert all(32 <= ord(char) != 127 for char in mail["Subject"])


def test_headers_are_checked_after_the_library_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without our own RFC 2047 encoding of "=?", Python before 3.11.10 decodes the word
    # and writes a raw CR LF (later ones refuse to write it): either way, no mail.
    monkeypatch.setattr(email_delivery, "ENCODED_WORD", "\0")
    subject = "[GIT PULL] =?utf-8?q?=0D=0ABcc:_victim@example.org?="
    with pytest.raises(DeliveryError, match="do not read back as written") as error:
        build_email(replace(PULL, subject=subject), sender=SENDER)
    assert not error.value.retryable


@pytest.mark.parametrize(
    "address",
    [
        "Foo\r\nBcc: victim@example.org <a@example.org>",
        "Foo <a@example.org>\nBcc: victim@example.org",
        "a@example.org, victim@example.org",
        "Foo <a@example.org> trailing",
        "not an address",
        "Foo <a b@example.org>",
        "=?utf-8?q?=0D=0ABcc:_v@example.org?= <a@example.org>",
        "",
    ],
)
def test_bad_address_is_refused(address: str) -> None:
    with pytest.raises(DeliveryError) as error:
        build_email(replace(PULL, cc=(address,)), sender=SENDER)
    assert not error.value.retryable
    assert "\n" not in error.value.message
    assert "\r" not in error.value.message


@pytest.mark.parametrize(
    "pull",
    [
        replace(PULL, message_id="<a@b>\r\nBcc: victim@example.org"),
        replace(PULL, message_id="no-brackets@example.org"),
        replace(PULL, in_reply_to="<=?utf-8?q?=0D=0A?=@example.org>"),
        replace(PULL, to=()),
        replace(PULL, sender="Foo\x1b <a@example.org>"),
    ],
)
def test_bad_message_fields_are_refused(pull: PullMessage) -> None:
    with pytest.raises(DeliveryError) as error:
        build_email(pull, sender=SENDER)
    assert not error.value.retryable


def test_no_sender_anywhere_is_refused() -> None:
    with pytest.raises(DeliveryError, match="no sender") as error:
        build_email(PULL)
    assert not error.value.retryable


def test_non_ascii_names_and_subject_are_rfc2047_encoded(server: Server) -> None:
    subject = "[GIT PULL] Grüße für main — 2026-11-22 " + " ".join(["ünïcödé"] * 8)
    pull = replace(PULL, subject=subject, sender="Jörg Rödel <joro@example.org>")
    send_email(pull, server.settings())
    received = only(server)
    head = received.content.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"=?utf-8?" in head
    mail = received.parsed()
    assert mail["From"].addresses[0].display_name == "Jörg Rödel"
    assert mail["Subject"] == subject


# --- TLS and login ----------------------------------------------------------------------


def test_starttls_with_a_trusted_certificate(
    serve: Callable[..., Server], certificate: tuple[Path, Path]
) -> None:
    server = serve(tls_context=server_tls(certificate), require_starttls=True)
    settings = server.settings(encryption="tls", cafile=str(certificate[0]))
    send_email(PULL, settings)
    assert only(server).encrypted


def test_starttls_refuses_an_untrusted_certificate(
    serve: Callable[..., Server], certificate: tuple[Path, Path]
) -> None:
    server = serve(tls_context=server_tls(certificate), require_starttls=True)
    with pytest.raises(DeliveryError, match="certificate") as error:
        send_email(PULL, server.settings(encryption="tls", user=USER, password=PASSWORD))
    assert not error.value.retryable
    assert PASSWORD not in error.value.message
    assert server.handler.received == []


def test_implicit_tls(serve: Callable[..., Server], certificate: tuple[Path, Path]) -> None:
    server = serve(ssl_context=server_tls(certificate))
    send_email(PULL, server.settings(encryption="ssl", cafile=str(certificate[0])))
    assert only(server).encrypted


def test_starttls_when_the_server_has_none(server: Server) -> None:
    with pytest.raises(DeliveryError, match="STARTTLS") as error:
        send_email(PULL, server.settings(encryption="tls"))
    assert not error.value.retryable


def test_login(server: Server) -> None:
    send_email(PULL, server.settings(user=USER, password=PASSWORD))
    assert only(server).authenticated


def test_wrong_password(server: Server) -> None:
    wrong = "wrong-" + PASSWORD
    with pytest.raises(DeliveryError, match="login as 'libvirt-bot' refused") as error:
        send_email(PULL, server.settings(user=USER, password=wrong))
    assert not error.value.retryable
    assert f"127.0.0.1:{server.port}" in error.value.message
    assert wrong not in error.value.message
    assert server.handler.received == []


def test_non_ascii_password(server: Server) -> None:
    with pytest.raises(DeliveryError, match="must be ASCII") as error:
        send_email(PULL, server.settings(user=USER, password="pässwörd"))
    assert not error.value.retryable
    assert "pässwörd" not in error.value.message


def test_user_without_password_is_refused_before_connecting() -> None:
    with pytest.raises(DeliveryError, match="TREEMERGE_SMTP_PASSWORD") as error:
        send_email(PULL, SmtpSettings(port=free_port(), user=USER, sender=SENDER))
    assert not error.value.retryable


# --- failures ---------------------------------------------------------------------------


def test_server_down_is_retryable() -> None:
    port = free_port()  # nothing listens there
    settings = SmtpSettings(server="127.0.0.1", port=port, user=USER, password=PASSWORD)
    with pytest.raises(DeliveryError) as error:
        send_email(replace(PULL, sender=SENDER), settings)
    assert error.value.retryable
    assert f"127.0.0.1:{port}" in error.value.message
    assert PASSWORD not in error.value.message


def test_recipient_refused_is_not_retryable(server: Server) -> None:
    server.handler.refuse = dict.fromkeys(RECIPIENTS, "550 no such user")
    with pytest.raises(DeliveryError, match="550 no such user") as error:
        send_email(PULL, server.settings(user=USER, password=PASSWORD))
    assert not error.value.retryable
    assert PASSWORD not in error.value.message
    assert server.handler.received == []


def test_some_recipients_refused(server: Server) -> None:
    server.handler.refuse = {"jane@example.org": "550 no such user"}
    with pytest.raises(
        DeliveryError, match=r"sent, except to jane@example\.org \(550 no such user\)"
    ) as error:
        send_email(PULL, server.settings())
    # The others have it: trying again would send them a second copy.
    assert not error.value.retryable
    assert only(server).rcpt_tos == RECIPIENTS[:2]


def test_temporary_failure_is_retryable(server: Server) -> None:
    server.handler.data_reply = "451 try again later"
    with pytest.raises(DeliveryError, match="451 try again later") as error:
        send_email(PULL, server.settings(user=USER, password=PASSWORD))
    assert error.value.retryable
    assert PASSWORD not in error.value.message


def test_recipients_deferred_are_retryable(server: Server) -> None:
    server.handler.refuse = dict.fromkeys(RECIPIENTS, "450 mailbox busy")
    with pytest.raises(DeliveryError) as error:
        send_email(PULL, server.settings())
    assert error.value.retryable


def test_dropped_connection_is_retryable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def hang_up() -> None:  # on the one connection, before the greeting
            connection, _ = listener.accept()
            connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        settings = SmtpSettings(server="127.0.0.1", port=listener.getsockname()[1], timeout=5)
        with pytest.raises(DeliveryError, match="closed the connection") as error:
            send_email(replace(PULL, sender=SENDER), settings)
        thread.join()
    assert error.value.retryable


def test_silent_server_times_out_retryably() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # never accepts, never greets
        settings = SmtpSettings(server="127.0.0.1", port=listener.getsockname()[1], timeout=0.3)
        with pytest.raises(DeliveryError, match=r"no answer within 0\.3 s") as error:
            send_email(replace(PULL, sender=SENDER), settings)
    assert error.value.retryable


# --- settings ---------------------------------------------------------------------------


def delivery(**options: str) -> DeliveryConfig:
    return DeliveryConfig("email", tuple((k.replace("_", "-"), v) for k, v in options.items()))


GIT = {
    "sendemail.smtpserver": "git.example.org",
    "sendemail.smtpServerPort": "2525",
    "SendEmail.SmtpEncryption": "tls",
    "sendemail.smtpuser": "git-user",
    "sendemail.smtppass": "git-pass",
    "sendemail.from": "Git Sender <git@example.org>",
}


@pytest.mark.parametrize(
    ("config", "git", "env", "expected"),
    [
        ({}, {}, {}, SmtpSettings("localhost", 25, "none", None, None, None)),
        (
            {},
            GIT,
            {},
            SmtpSettings(
                "git.example.org", 2525, "tls", "git-user", "git-pass", GIT["sendemail.from"]
            ),
        ),
        (
            {"smtp_server": "cfg.example.org", "smtp_encryption": "ssl", "from": "C <c@x.org>"},
            GIT,
            {"TREEMERGE_SMTP_PASSWORD": "env-pass"},
            SmtpSettings("cfg.example.org", 2525, "ssl", "git-user", "env-pass", "C <c@x.org>"),
        ),
        (
            {"smtp_port": "26", "smtp_user": "cfg-user"},
            GIT,
            {"TREEMERGE_SMTP_PASSWORD": ""},
            SmtpSettings(
                "git.example.org", 26, "tls", "cfg-user", "git-pass", GIT["sendemail.from"]
            ),
        ),
        ({"smtp_encryption": "ssl"}, {}, {}, SmtpSettings("localhost", 465, "ssl")),
        ({}, {"sendemail.smtpencryption": "tls"}, {}, SmtpSettings("localhost", 587, "tls")),
        ({"smtp_encryption": "none"}, {"sendemail.smtpencryption": "ssl"}, {}, SmtpSettings()),
        (
            {},
            {"user.name": "Doe, Jane", "user.email": "jane@example.org"},
            {},
            SmtpSettings(sender='"Doe, Jane" <jane@example.org>'),
        ),
        ({}, {"user.email": "jane@example.org"}, {}, SmtpSettings(sender="jane@example.org")),
    ],
)
def test_smtp_settings_precedence(
    config: dict[str, str], git: dict[str, str], env: dict[str, str], expected: SmtpSettings
) -> None:
    assert smtp_settings(delivery(**config), git, env) == expected


@pytest.mark.parametrize(
    ("config", "git", "message"),
    [
        ({}, {"sendemail.smtpencryption": "starttls"}, "expected none, ssl or tls"),
        ({}, {"sendemail.smtpserverport": "smtp"}, "expected a port number"),
        ({"smtp_port": "70000"}, {}, "expected a port number"),
        ({}, {"sendemail.smtpserver": "/usr/sbin/sendmail"}, "SMTP only"),
    ],
)
def test_smtp_settings_that_cannot_work(
    config: dict[str, str], git: dict[str, str], message: str
) -> None:
    with pytest.raises(DeliveryError, match=message) as error:
        smtp_settings(delivery(**config), git, {})
    assert not error.value.retryable


def test_password_is_never_in_the_repr() -> None:
    settings = SmtpSettings(user=USER, password=PASSWORD)
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)


def test_read_git_config() -> None:
    assert read_git_config() == {}  # no ~/.gitconfig in the sealed HOME
    (Path.home() / ".gitconfig").write_text(
        "[sendemail]\n\tsmtpServer = mail.example.org\n\tsmtpServerPort = 587\n"
        '\tsmtpPass = "a b\\nc"\n\tsmtpAuth\n[user]\n\tname = Jörg Rödel\n',
        encoding="utf-8",
    )
    assert read_git_config() == {
        "sendemail.smtpserver": "mail.example.org",
        "sendemail.smtpserverport": "587",
        "sendemail.smtppass": "a b\nc",
        "sendemail.smtpauth": "true",
        "user.name": "Jörg Rödel",
    }
