"""Pull requests and notices sent by email: SMTP settings, the RFC 5322 message, and sending it.

Header values are built from text treemerge does not control (commit subjects, names
from maintainer lists), so every one of them is made safe before the email library
sees it, and the finished message is parsed back and checked before it is sent: no
value may add a header or carry a control character, whatever the library does.
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.errors import HeaderParseError, MessageError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses
from typing import Literal

from treemerge.core.config import DeliveryConfig
from treemerge.core.escape import escape_text, has_unsafe
from treemerge.deliver import DeliveryError, Mail

Encryption = Literal["none", "ssl", "tls"]
ENCRYPTIONS: tuple[Encryption, ...] = ("none", "ssl", "tls")
DEFAULT_PORTS: dict[Encryption, int] = {"none": 25, "ssl": 465, "tls": 587}
PASSWORD_VARIABLE = "TREEMERGE_SMTP_PASSWORD"  # noqa: S105 (the variable's name)
# An addr-spec we can send without SMTPUTF8: printable ASCII, no spaces or specials.
ADDR_SPEC = re.compile(r"[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-\[\]:]+")
# A msg-id ("<left@right>") made of dot-atom characters only.
MSG_ID = re.compile(r"<[!#-'*+\-/-9=?A-Z^-~.]+@[!#-'*+\-/-9=?A-Z^-~.]+>")
# Where the email library (and every mail reader) starts decoding an RFC 2047 word.
ENCODED_WORD = "=?"
# RFC 5322's limit on a line; longer body lines need quoted-printable.
MAX_LINE = 998


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the SMTP server. The password never appears in the repr."""

    server: str = "localhost"
    port: int = 25
    encryption: Encryption = "none"  # "ssl": TLS from the start; "tls": STARTTLS
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None  # "Name <address>", used when the pull names no sender
    timeout: float = 30.0
    cafile: str | None = None  # certificates to trust instead of the system's


def smtp_settings(
    delivery: DeliveryConfig, git_config: Mapping[str, str], env: Mapping[str, str]
) -> SmtpSettings:
    """The SMTP settings to use: each from [delivery], else the user's git
    `sendemail.*` configuration, else the default (localhost, no encryption, the port
    that goes with the encryption; as the sender, git's `user.name <user.email>`).
    The password comes from $TREEMERGE_SMTP_PASSWORD, else `sendemail.smtpPass`.
    Git config keys are matched in any case.

    Raises DeliveryError (not retryable) for a value that cannot work.
    """
    git = {key.lower(): value for key, value in git_config.items()}

    def pick(key: str, git_key: str) -> str | None:
        return delivery.get(key) or git.get(git_key) or None

    encryption = _encryption(pick("smtp-encryption", "sendemail.smtpencryption"))
    port = pick("smtp-port", "sendemail.smtpserverport")
    server = pick("smtp-server", "sendemail.smtpserver") or "localhost"
    if server.startswith("/"):
        raise DeliveryError(
            f"smtp server {server!r} is a program: treemerge sends over SMTP only "
            "(set smtp-server in [delivery])",
            retryable=False,
        )
    return SmtpSettings(
        server=server,
        port=_port(port) if port else DEFAULT_PORTS[encryption],
        encryption=encryption,
        user=pick("smtp-user", "sendemail.smtpuser"),
        password=env.get(PASSWORD_VARIABLE) or git.get("sendemail.smtppass") or None,
        sender=pick("from", "sendemail.from") or _git_identity(git),
    )


def _encryption(value: str | None) -> Encryption:
    text = (value or "none").lower()
    for choice in ENCRYPTIONS:
        if text == choice:
            return choice
    # git would fall back to plain text here; a typo must not send a password in clear.
    raise DeliveryError(
        f"smtp encryption {value!r}: expected none, ssl or tls (STARTTLS)", retryable=False
    )


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise DeliveryError(f"smtp port {value!r}: expected a port number", retryable=False)
    return int(value)


def _git_identity(git: Mapping[str, str]) -> str | None:
    """`user.name <user.email>`, the sender git send-email falls back to."""
    address = git.get("user.email")
    if not address or not git.get("user.name"):
        return address or None
    try:
        # str(Address) quotes a name that needs it ("Doe, Jane" <jane@example.org>).
        return str(Address(display_name=git["user.name"], addr_spec=address))
    except (ValueError, IndexError, HeaderParseError):
        return address  # sending then names the address that does not parse


def build_email(
    message: Mail, *, sender: str | None = None, date: datetime | None = None
) -> EmailMessage:
    """The pull request (or notice) as an RFC 5322 message (email.policy.SMTP: CRLF line ends).

    From is `message.sender`, else `sender`; Date is `date` (naive means local time),
    else now. Every header value made from the message is one line without control
    characters (they are shown escaped, `\\x1b`), non-ASCII text is RFC 2047 encoded,
    and no value can add a header. The body is `message.body_text`, 7bit when it is
    ASCII in lines of at most 998 bytes, else quoted-printable (long lines survive);
    a missing final newline is added. Raises DeliveryError (not retryable) for an
    address or message id that does not parse, or no sender or recipient.
    """
    return _compose(message, sender, date)[0]


def _compose(
    message: Mail, sender: str | None, date: datetime | None
) -> tuple[EmailMessage, Address, list[Address]]:
    """The message, its sender and its recipients (To then Cc)."""
    from_text = message.sender or sender
    if not from_text:
        raise DeliveryError(
            "no sender: set `from` in [delivery] or git config sendemail.from", retryable=False
        )
    author = _address(from_text)
    to = [_address(text) for text in message.to]
    cc = [_address(text) for text in message.cc]
    if not to:
        raise DeliveryError(f"{message.subsystem}: the message has no To:", retryable=False)
    when = date or datetime.now()
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = author
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    subject = _set_subject(mail, message.subject)
    mail["Date"] = format_datetime(when if when.tzinfo else when.astimezone())
    mail["Message-ID"] = _msg_id(message.message_id)
    if message.in_reply_to:
        mail["In-Reply-To"] = _msg_id(message.in_reply_to)
        mail["References"] = _msg_id(message.in_reply_to)
    mail["X-Mailer"] = "treemerge"
    body = message.body_text
    mail.set_content(body, subtype="plain", charset="utf-8", cte=_transfer_encoding(body))
    _check_headers(mail, subject)
    return mail, author, to + cc


def _address(text: str) -> Address:
    """One "Name <addr>" parsed; DeliveryError naming it when it is not exactly one."""
    if ENCODED_WORD in text and not has_unsafe(text):
        # Readers would decode it into whatever it encodes: addresses must be plain text.
        raise DeliveryError(
            f"RFC 2047-encoded text in address {text!r}: write it in plain text",
            retryable=False,
        )
    parsed = getaddresses([text]) if not has_unsafe(text) else []
    if len(parsed) != 1 or not ADDR_SPEC.fullmatch(parsed[0][1]):
        raise DeliveryError(f"not an email address: {escape_text(text)!r}", retryable=False)
    name, addr_spec = parsed[0]
    try:
        return Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, IndexError, HeaderParseError):
        raise DeliveryError(f"not an email address: {text!r}", retryable=False) from None


def _msg_id(text: str) -> str:
    if not MSG_ID.fullmatch(text) or ENCODED_WORD in text:
        raise DeliveryError(f"not a message id: {escape_text(text)!r}", retryable=False)
    return text


def _set_subject(mail: EmailMessage, subject: str) -> str:
    """Set Subject to `subject` with control characters escaped; return that text."""
    text = escape_text(subject)
    if ENCODED_WORD not in text:
        mail["Subject"] = text
        return text
    # The email library decodes "=?...?=" found in a value (and Python < 3.11.10 then
    # writes raw whatever it decoded, CR LF included), and a reader would decode it
    # too. Encoding the literal text ourselves keeps "=?" as text at both ends.
    mail.set_raw("Subject", Header(text, "utf-8", header_name="Subject").encode(linesep="\r\n"))
    return text


def _transfer_encoding(body: str) -> str:
    lines = body.encode("utf-8").splitlines()
    if body.isascii() and all(len(line) <= MAX_LINE for line in lines):
        return "7bit"
    return "quoted-printable"


def _check_headers(mail: EmailMessage, subject: str) -> None:
    """Parse the finished message back, as a reader will: the same headers must come
    out, none with a control character, and the subject as we meant it."""
    try:
        parsed = message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    except MessageError:  # Python 3.11.10+ refuses to write such a header itself
        parsed = None
    names = [name.lower() for name in mail]
    if parsed is None or not _reads_back(parsed, names, subject):
        raise DeliveryError(
            f"refusing to send {subject!r}: its headers do not read back as written",
            retryable=False,
        )


def _reads_back(parsed: Message, names: list[str], subject: str) -> bool:
    safe = [name.lower() for name, value in parsed.items() if not has_unsafe(str(value))]
    return safe == names and str(parsed["Subject"]).split() == subject.split()


def send_email(message: Mail, settings: SmtpSettings) -> str:
    """Send the pull request (or notice) through the SMTP server to its To and Cc; return its
    Message-ID. The message is accepted for every recipient, or DeliveryError says
    what failed and where (never the password), `retryable` when trying again later
    may work (no connection, timeouts, 4xx replies, a dropped connection).
    """
    mail, author, recipients = _compose(message, settings.sender, None)
    if settings.user and settings.password is None:
        raise DeliveryError(
            f"smtp user {settings.user!r} has no password: set ${PASSWORD_VARIABLE} "
            "or git config sendemail.smtpPass",
            retryable=False,
        )
    context = _tls_context(settings)
    addresses = list(dict.fromkeys(address.addr_spec for address in recipients))
    try:
        with _connect(settings, context) as smtp:
            if settings.user and settings.password is not None:
                smtp.login(settings.user, settings.password)
            refused = smtp.sendmail(author.addr_spec, addresses, mail.as_bytes())
    except (smtplib.SMTPException, OSError, UnicodeEncodeError) as error:
        what, retryable = _describe(error, settings)
        raise _error(settings, what, retryable=retryable) from error
    if refused:
        # Already delivered to the others: sending again would give them a duplicate.
        raise _error(settings, f"sent, except to {_refusals(refused)}", retryable=False)
    return message.message_id


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.encryption == "none":
        return None
    try:
        return ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ssl.SSLError) as error:
        raise DeliveryError(
            f"cannot load certificates from {settings.cafile}: {error}", retryable=False
        ) from error


def _connect(settings: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    """A connection, encrypted as the settings ask (STARTTLS is never optional)."""
    host, port, timeout = settings.server, settings.port, settings.timeout
    if settings.encryption == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(host, port, timeout=timeout)
    if settings.encryption == "tls":
        try:
            smtp.starttls(context=context)
        except BaseException:
            smtp.close()
            raise
    return smtp


def _error(settings: SmtpSettings, what: str, *, retryable: bool) -> DeliveryError:
    """The error naming the server; the password is masked should a reply echo it."""
    text = f"cannot send mail through SMTP server {settings.server}:{settings.port}: {what}"
    if settings.password:
        text = text.replace(settings.password, "***")
    return DeliveryError(text, retryable=retryable)


def _describe(error: Exception, settings: SmtpSettings) -> tuple[str, bool]:
    """What failed, in words, and whether trying again later may work."""
    if isinstance(error, smtplib.SMTPException):  # before OSError: it is one
        return _describe_smtp(error, settings)
    if isinstance(error, OSError):
        return _describe_network(error, settings)
    # smtplib sends the login as ASCII; never show the text it could not encode.
    return "the user name and password must be ASCII", False


def _describe_smtp(error: smtplib.SMTPException, settings: SmtpSettings) -> tuple[str, bool]:
    match error:
        case smtplib.SMTPRecipientsRefused(recipients=refused):
            temporary = all(_temporary(code) for code, _ in refused.values())
            return f"recipients refused: {_refusals(refused)}", temporary
        case smtplib.SMTPAuthenticationError(smtp_code=code, smtp_error=reply):
            return f"login as {settings.user!r} refused ({_reply(code, reply)})", _temporary(code)
        case smtplib.SMTPResponseException(smtp_code=code, smtp_error=reply):
            return f"the server replied {_reply(code, reply)}", _temporary(code)
        case smtplib.SMTPServerDisconnected():
            # smtplib reports a read that timed out as a lost connection.
            if isinstance(error.__context__, TimeoutError):
                return f"no answer within {settings.timeout:g} s", True
            return "the server closed the connection", True
    # Not a reply: something smtplib refuses (no STARTTLS, no AUTH, no common method).
    return escape_text(str(error)), False


def _describe_network(error: OSError, settings: SmtpSettings) -> tuple[str, bool]:
    match error:
        case ssl.SSLCertVerificationError():
            return f"TLS certificate not trusted ({error.verify_message})", False
        case ssl.SSLEOFError():
            return "the connection closed during the TLS handshake", True
        case ssl.SSLError():  # a plain-text port, or no protocol in common: settings
            return f"TLS failed ({error.reason or error})", False
        case TimeoutError():
            return f"no answer within {settings.timeout:g} s", True
        case socket.gaierror():
            return f"unknown host ({error.strerror})", error.errno == socket.EAI_AGAIN
    return f"connection failed ({error.strerror or error})", True


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{to} ({_reply(code, reply)})" for to, (code, reply) in refused.items())


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return escape_text(f"{code} {text}".strip())


def _temporary(code: int) -> bool:
    """A 4xx reply: the server asks us to try again later."""
    return 400 <= code < 500
