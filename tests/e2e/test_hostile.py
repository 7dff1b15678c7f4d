"""Hostile subsystem trees: commit text and file names built to attack a terminal, an
email, a forge page or an HTML report, a message that is not UTF-8, and symlinks
pointing out of the tree, all driven through the real CLI.

Human output shows control characters escaped, never raw, and rich markup as text;
email headers carry none of it; HTML and markdown escape it; JSON carries it exactly; a
symlink is data, never followed; nothing ends in a traceback (SPEC.md, "Non-negotiables"
and "The pull request").
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.e2e.forge_server import TOKEN, FakeForge
from tests.e2e.smtp_server import MAIL_HEADERS, Server
from tests.git.project import Project
from tests.helpers import Result, git

pytestmark = pytest.mark.slow  # a hostile project built and driven through every command, per test

# The subjects of the hostile commits on the net tree, one commit each.
CLEAR = "net: \x1b[2J\x1b[31mred alert\x1b[0m"
OSC8 = "net: \x1b]8;;http://evil\x07click me\x1b]8;;\x07"
CRLF = "net: header\r\nBcc: victim@example.org"
MARKUP = "net: [bold red]x[/] [link=http://evil]click[/link]"
SCRIPT = 'net: <script>alert(1)</script> "><img src=x onerror=alert(1)>'
C1 = "net: c1 \u009b31m and bidi \u202egnp.exe"
LONG = "net: " + "A" * 10_000
SUBJECTS = (CLEAR, OSC8, CRLF, MARKUP, SCRIPT, C1, LONG)
# A message that is not UTF-8 (latin-1), stored byte for byte.
LATIN1 = b"net: caf\xe9 \xff\xfe latin-1\n\nBody in latin-1: \xe0 la carte.\n"
LATIN1_SUBJECT = "net: caf\udce9 \udcff\udcfe latin-1"  # as read with surrogateescape

# File names (any bytes but NUL and '/'). Those under drivers/ are foreign to net, so
# `check` and the report print them.
PATHS = (
    "drivers/\x1b[2J\x1b[31mred.c",
    "drivers/\x1b]8;;http:evil\x07link.c",  # a name cannot hold "//"
    "drivers/new\nline.c",
    "drivers/carriage\rreturn.c",
    "drivers/<script>alert(1)</script>.c",
    'drivers/"><img src=x onerror=alert(1)>.c',
    "drivers/[bold red]x[/].c",
    "drivers/c1 \u009b31m bidi \u202egnp.c",
    "drivers/caf\udce9.c",  # the byte 0xe9: not UTF-8
    "net/\x1b[2Jowned\r.c",
)
# How the foreign ones must look to a person.
SHOWN = (
    "drivers/\\x1b[2J\\x1b[31mred.c",
    "drivers/\\x1b]8;;http:evil\\x07link.c",
    "drivers/new\\nline.c",
    "drivers/carriage\\rreturn.c",
    "drivers/<script>alert(1)</script>.c",
    'drivers/"><img src=x onerror=alert(1)>.c',
    "drivers/[bold red]x[/].c",
    "drivers/c1 \\x9b31m bidi \\u202egnp.c",
    "drivers/caf\\xe9.c",
)
LEAK = "net/leak"  # -> /etc/passwd
UP = "net/up"  # -> ../../..
SECRET = Path("/etc/passwd")
LONG_NAME = "drivers/" + "L" * 300 + ".c"  # longer than a file system allows a name

# A character a terminal, a mail reader or a browser could act on: C0 (but the line
# break), DEL, C1, bidi overrides and isolates, and lone surrogates (raw bytes).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The colour codes rich writes itself with --color.
RICH_SGR = re.compile("\x1b\\[[0-9;]*m")
AUTHOR = "A U Thor <author@example.org> 1700000000 +0000"
NO_CRASH = ("Traceback", "internal error")


def plumb(work: Path, *args: str, data: bytes = b"") -> str:
    """git plumbing in `work` with raw bytes on its standard input; its output."""
    done = subprocess.run(["git", *args], cwd=work, input=data, capture_output=True, check=True)
    return done.stdout.decode().strip()


def commit_raw(work: Path, entries: dict[str, tuple[str, bytes]], message: bytes) -> str:
    """Commit on HEAD adding `entries` ({path: (mode, content)}) through the index, so a
    name can hold any byte but NUL and '/'. The commit object is written by hash-object:
    the message is stored as given (commit-tree would re-encode latin-1 as UTF-8)."""
    records = []
    for path, (mode, content) in entries.items():
        blob = plumb(work, "hash-object", "-w", "--stdin", data=content)
        records.append(f"{mode} {blob}\t".encode() + path.encode("utf-8", "surrogateescape"))
    plumb(work, "update-index", "-z", "--add", "--index-info", data=b"\0".join(records) + b"\0")
    tree = plumb(work, "write-tree")
    parent = plumb(work, "rev-parse", "HEAD")
    header = f"tree {tree}\nparent {parent}\nauthor {AUTHOR}\ncommitter {AUTHOR}\n\n"
    data = header.encode() + message
    commit = plumb(work, "hash-object", "-t", "commit", "-w", "--stdin", data=data)
    plumb(work, "update-ref", "HEAD", commit)
    return commit


def push(project: Project, tree: str) -> None:
    work = project.clone(tree)
    branch = "for-net" if tree == "wireless" else "for-main"
    git(work, "push", "-q", "origin", f"HEAD:{branch}")


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    """Main, net, drivers and wireless; net's pending work is hostile: a commit per
    hostile subject, hostile names, a latin-1 message and symlinks out of the tree."""
    proj = Project(tmp_path, capsys)
    for tree in ("net", "drivers", "wireless"):
        assert proj.run("tree", "create", tree).code == 0
    work = proj.clone("net")
    for number, subject in enumerate(SUBJECTS):
        files = {PATHS[number]: ("100644", f"{number}\n".encode())}
        commit_raw(work, files, f"{subject}\n\nbody {subject}\n".encode())
    rest = dict.fromkeys(PATHS[len(SUBJECTS) :], ("100644", b"rest\n"))
    commit_raw(work, rest, LATIN1)
    links = {LEAK: ("120000", str(SECRET).encode()), UP: ("120000", b"../../..")}
    commit_raw(work, links, b"net: links out of the tree\n")
    push(proj, "net")
    assert proj.run("sync").code == 0
    return proj


def run(project: Project, *args: str) -> Result:
    """The CLI in process; whatever the exit code, never a crash."""
    result = project.run(*args)
    for crash in NO_CRASH:
        assert crash not in result.err, result.err
    return result


def assert_shown_safely(text: str) -> None:
    """No character a terminal (or reader) would act on; every hostile text escaped."""
    found = RAW_CONTROL.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()}: {text[: found.end()]!r}"


def set_config(project: Project, *, replace: Iterable[tuple[str, str]] = (), add: str = "") -> None:
    path = project.root / "maintainers.cfg"
    text = path.read_text()
    for old, new in replace:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text + add)


def never_leaks(*texts: str) -> None:
    """The content of /etc/passwd (what the symlink points at) appears nowhere."""
    lines = SECRET.read_text().splitlines() if SECRET.is_file() else []
    secret_lines = [line for line in lines if line.strip()][:3]
    for text in texts:
        assert "root:" not in text
        for line in secret_lines:
            assert line not in text


# check


def test_check_shows_hostile_names_escaped_and_markup_as_text(project: Project) -> None:
    result = run(project, "check", "net")
    assert result.code == 1  # the drivers/ names are foreign
    assert_shown_safely(result.out + result.err)
    for shown in SHOWN:
        assert shown in result.out
    # Rich markup in a name is printed, not read, with colour on as well.
    coloured = run(project, "check", "net", "--color")
    assert coloured.code == 1
    assert RICH_SGR.search(coloured.out)  # colour really is on
    assert_shown_safely(RICH_SGR.sub("", coloured.out))
    for shown in SHOWN:
        assert shown in RICH_SGR.sub("", coloured.out)
    never_leaks(result.out, coloured.out)


def test_check_json_carries_the_names_exactly(project: Project) -> None:
    result = run(project, "check", "net", "--json")
    assert result.code == 1
    document = json.loads(result.out)
    statuses = {entry["path"]: entry["status"] for entry in document["files"]}
    assert statuses == {
        **{path: "foreign" for path in PATHS if path.startswith("drivers/")},
        PATHS[-1]: "owned",
        LEAK: "owned",
        UP: "owned",
    }
    assert document["violations"] == len(SHOWN)
    never_leaks(result.out)


# request-pull


def test_request_pull_text_escapes_commit_text_and_names(project: Project) -> None:
    result = run(project, "request-pull", "net", "--dry-run")
    assert result.code == 0, result.err
    text = result.out
    assert_shown_safely(text + result.err)
    for shown in (
        "net: \\x1b[2J\\x1b[31mred alert\\x1b[0m",
        "net: \\x1b]8;;http://evil\\x07click me\\x1b]8;;\\x07",
        MARKUP,
        SCRIPT,
        "net: c1 \\x9b31m and bidi \\u202egnp.exe",
        LONG,  # a 10,000-character line, whole
        "net: caf\\xe9 \\xff\\xfe latin-1",
        *SHOWN,
    ):
        assert shown in text
    # The CR LF of a subject never starts a line of its own.
    assert not re.search(r"(?m)^\s*Bcc:", text)
    never_leaks(text)


def test_request_pull_json_carries_commit_text_exactly(project: Project) -> None:
    result = run(project, "request-pull", "net", "--dry-run", "--format", "json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    shortlog = document["shortlog"]
    # As git shortlog printed them (it folds a subject's lines into one).
    for subject in (CLEAR, OSC8, MARKUP, SCRIPT, C1, LONG, LATIN1_SUBJECT):
        assert f"      {subject}\n" in shortlog
    assert "      net: header Bcc: victim@example.org\n" in shortlog
    assert {entry["path"] for entry in document["check"]["files"]} == {*PATHS, LEAK, UP}
    assert document["request_pull"].endswith(document["shortlog"] + document["diffstat"])
    never_leaks(result.out)


class Elements(HTMLParser):
    """The elements, attributes and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(document: str) -> Elements:
    parser = Elements()
    parser.feed(document)
    parser.close()
    return parser


def assert_safe_markdown(markdown: str) -> Elements:
    """What a forge makes of the markdown (CommonMark with raw HTML allowed): the only
    elements are the ones treemerge writes; hostile text stays text."""
    assert_shown_safely(markdown)
    page = parse_html(MarkdownIt("commonmark").render(markdown))
    assert set(page.tags) <= {"h2", "p", "code", "pre", "details", "summary"}, page.tags
    assert page.attributes == []
    text = "".join(page.text)
    for hostile in (SCRIPT, MARKUP, '"><img src=x onerror=alert(1)>.c'):
        assert hostile in text
    assert "\\x1b[2J" in text
    return page


def test_request_pull_markdown_is_safe_for_a_forge(project: Project) -> None:
    result = run(project, "request-pull", "net", "--dry-run", "--format", "markdown")
    assert result.code == 0, result.err
    assert_safe_markdown(result.out)
    never_leaks(result.out)


# delivery


def configure_delivery(project: Project, delivery: str) -> None:
    set_config(
        project,
        replace=[
            (
                "maintainers-file = MAINTAINERS\n",
                "maintainers-file = MAINTAINERS\nto = Top Dog <top@example.org>\n",
            ),
            (
                "title = NETWORKING\n",
                "title = NETWORKING\nmaintainers = Net Chief <net@example.org>\n",
            ),
        ],
        add=f"\n[delivery]\n{delivery}",
    )


def smtp(port: int) -> str:
    return (
        f"method = email\nsmtp-server = 127.0.0.1\nsmtp-port = {port}\n"
        "smtp-encryption = none\nfrom = Net Chief <net@example.org>\n"
    )


def received_mail(server: Server) -> tuple[bytes, EmailMessage]:
    (received,) = server.handler.received
    assert sorted(received.rcpt_tos) == ["net@example.org", "top@example.org"]
    mail = message_from_bytes(received.content, policy=default_policy)
    assert isinstance(mail, EmailMessage)
    return received.content, mail


def assert_clean_headers(raw: bytes, mail: EmailMessage) -> None:
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\xff]", head), head
    assert {name.lower() for name in mail} == MAIL_HEADERS
    assert len(mail.keys()) == len(MAIL_HEADERS)  # none twice
    subject = str(mail["Subject"])
    assert subject.startswith("[GIT PULL] ")
    assert RAW_CONTROL.search(subject) is None
    assert "\n" not in subject
    assert not re.search(rb"\r(?!\n)|(?<!\r)\n", raw)  # every line ends in CR LF


def test_email_headers_carry_nothing_from_the_tree(project: Project, server: Server) -> None:
    configure_delivery(project, smtp(server.port))
    result = run(project, "request-pull", "net", "--send")
    assert result.code == 0, result.err
    raw, mail = received_mail(server)
    assert_clean_headers(raw, mail)
    assert b"\x1b" not in raw
    assert not [value for value in mail.values() if "victim" in str(value)]
    body = mail.get_content().replace("\r\n", "\n")  # SMTP's line ends
    assert_shown_safely(body)
    assert "net: \\x1b[2J\\x1b[31mred alert\\x1b[0m" in body
    assert LONG in body  # quoted-printable keeps the long line whole
    assert "net: caf\\xe9 \\xff\\xfe latin-1" in body
    for shown in SHOWN:
        assert shown in body
    never_leaks(raw.decode("ascii", "replace"))


def test_email_subject_from_a_title_of_several_lines_stays_one_line(
    project: Project, server: Server
) -> None:
    # The title is maintainers.cfg's; even one continued over lines adds no header.
    configure_delivery(project, smtp(server.port))
    set_config(
        project,
        replace=[("title = NETWORKING\n", "title = NETWORKING\n  Bcc: victim@example.org\n")],
    )
    result = run(project, "request-pull", "net", "--send")
    assert result.code == 0, result.err
    raw, mail = received_mail(server)
    assert_clean_headers(raw, mail)
    assert str(mail["Subject"]).startswith("[GIT PULL] NETWORKING\\nBcc: victim@example.org for")


def test_forge_pull_request_title_is_clean_and_body_is_the_markdown(
    project: Project, forge_server: FakeForge, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREEMERGE_TOKEN", TOKEN)
    configure_delivery(
        project, f"method = github\napi-url = {forge_server.github_url}\nrepo = nova/nova\n"
    )
    result = run(project, "request-pull", "net", "--send")
    assert result.code == 0, result.err
    (pull,) = forge_server.pulls("github")
    assert pull.title.startswith("[GIT PULL] NETWORKING for main ")
    assert RAW_CONTROL.search(pull.title) is None
    assert "\n" not in pull.title
    markdown = run(project, "request-pull", "net", "--format", "markdown").out
    # The body is the markdown, and the marker treemerge finds its pull request by.
    assert pull.body.startswith(markdown)
    assert re.fullmatch(r"\n<!-- treemerge-pull: <[^<>]+> -->\n", pull.body[len(markdown) :])
    assert_safe_markdown(pull.body)


# next


def test_next_html_shows_hostile_paths_and_test_output_as_text(
    project: Project, tmp_path: Path
) -> None:
    # drivers adds some of the same names: net then conflicts with it on them.
    work = project.clone("drivers")
    clashing = dict.fromkeys(PATHS[:8:2], ("100644", b"drivers' own\n"))
    commit_raw(work, clashing, f"{SCRIPT}\n".encode())
    push(project, "drivers")
    assert project.run("sync").code == 0
    set_config(
        project, add="\n[integration]\norder = drivers net wireless\ntest-command = ls drivers\n"
    )
    page_file = tmp_path / "next.html"
    result = run(project, "next", "--html", str(page_file))
    assert result.code == 1  # net is left out
    assert_shown_safely(result.out + result.err)
    document = json.loads(run(project, "next", "--json").out)
    (net,) = [tree for tree in document["trees"] if tree["subsystem"] == "net"]
    assert not net["merged"]
    assert {c["path"] for c in net["conflicts"]} == set(clashing)
    html = page_file.read_text(encoding="utf-8")
    assert_shown_safely(html)
    page = parse_html(html)
    assert not {"script", "img", "iframe", "object", "embed"} & set(page.tags)
    assert not [name for name, _ in page.attributes if name.startswith("on")]
    text = "".join(page.text)
    assert "drivers/<script>alert(1)</script>.c" in text
    assert "drivers/\\x1b[2J\\x1b[31mred.c" in text  # a conflicting path
    # `ls drivers` printed the names raw...
    (drivers,) = [tree for tree in document["trees"] if tree["subsystem"] == "drivers"]
    assert "\x1b[2J\x1b[31mred.c" in drivers["test"]["output"]
    # ... and when the test fails (a passing test's output is not on the page), the page
    # shows them escaped.
    failing = ("test-command = ls drivers\n", "test-command = ls drivers; false\n")
    set_config(project, replace=[failing])
    assert run(project, "next", "--html", str(page_file)).code == 1
    html = page_file.read_text(encoding="utf-8")
    assert_shown_safely(html)
    page = parse_html(html)
    assert not {"script", "img", "iframe", "object", "embed"} & set(page.tags)
    shown_lines = {line.strip() for line in "".join(page.text).splitlines()}
    assert {"\\x1b[2J\\x1b[31mred.c", "<script>alert(1)<", "[bold red]x["} <= shown_lines


# who


def test_who_shows_hostile_paths_escaped_and_json_exact(project: Project, tmp_path: Path) -> None:
    wanted = [path for path in PATHS if "\n" not in path] + [LEAK, "net/\u009b31m\u202e.c"]
    listing = tmp_path / "paths.txt"
    listing.write_bytes(b"".join(p.encode("utf-8", "surrogateescape") + b"\n" for p in wanted))
    human = run(project, "who", "--paths-from", str(listing))
    assert human.code == 0, human.err
    assert_shown_safely(human.out + human.err)
    for shown in (*SHOWN[:2], *SHOWN[3:], "net/\\x9b31m\\u202e.c"):
        assert shown in human.out
    as_json = run(project, "who", "--paths-from", str(listing), "--json")
    assert as_json.code == 0, as_json.err
    document = json.loads(as_json.out)
    assert [entry["path"] for entry in document["paths"]] == wanted
    owners = {entry["path"]: entry["sections"][0]["name"] for entry in document["paths"]}
    assert owners["drivers/caf\udce9.c"] == "DRIVERS"
    assert owners[LEAK] == "NETWORKING"


# symlinks


def test_a_symlink_out_of_the_tree_is_never_followed(project: Project, tmp_path: Path) -> None:
    command = "ls -la net > listing.txt; cat listing.txt; cat net/leak || true; ls net/up/ || true"
    set_config(project, add=f"\n[integration]\ntest-command = {command}\n")
    page_file = tmp_path / "next.html"
    result = run(project, "next", "--html", str(page_file))
    assert result.code == 0
    document = json.loads(run(project, "next", "--json").out)
    tests = {tree["subsystem"]: tree["test"] for tree in document["trees"]}
    # The links reach the sandboxed command as links; followed, they lead into the
    # sandbox, where the file they name is not.
    assert tests["net"]["status"] == "passed"
    assert "leak -> /etc/passwd" in tests["net"]["output"]
    assert "up -> ../../.." in tests["net"]["output"]
    assert "cat: net/leak: No such file or directory" in tests["net"]["output"]
    assert tests["drivers"]["status"] == "passed"
    outputs = [
        result.out,
        page_file.read_text(),
        json.dumps(document),
        run(project, "check", "net", "--json").out,
        run(project, "request-pull", "net", "--dry-run").out,
    ]
    never_leaks(*outputs)
    assert "120000 net/leak" in outputs[-1]  # the diffstat names the link as a link


def test_a_symlink_inside_the_tree_reaches_the_test_command_as_a_link(project: Project) -> None:
    work = project.clone("drivers")
    commit_raw(work, {"drivers/alias": ("120000", b"block.c")}, b"drivers: an alias\n")
    push(project, "drivers")
    assert project.run("sync").code == 0
    command = "test -L drivers/alias && ls -l drivers/alias"
    set_config(project, add=f"\n[integration]\norder = drivers net\ntest-command = {command}\n")
    document = json.loads(run(project, "next", "--json").out)
    tests = {tree["subsystem"]: tree["test"] for tree in document["trees"]}
    assert tests["drivers"]["status"] == "passed", tests["drivers"]
    assert "drivers/alias -> block.c" in tests["drivers"]["output"]


def test_a_name_the_file_system_refuses_fails_the_test_step_cleanly(project: Project) -> None:
    work = project.clone("drivers")
    commit_raw(work, {LONG_NAME: ("100644", b"long\n")}, b"drivers: a long name\n")
    push(project, "drivers")
    assert project.run("sync").code == 0
    set_config(project, add="\n[integration]\norder = drivers net\ntest-command = true\n")
    result = run(project, "next", "--json")
    assert result.code == 1
    tests = {tree["subsystem"]: tree["test"] for tree in json.loads(result.out)["trees"]}
    assert tests["drivers"]["status"] == "failed"
    assert "cannot check out" in tests["drivers"]["output"]
    assert "File name too long" in tests["drivers"]["output"]


# the top maintainer's side, and `python -m treemerge`


def test_review_merge_and_audit_of_a_hostile_pull(project: Project) -> None:
    assert run(project, "request-pull", "net").code == 0
    review = run(project, "review", "net")
    assert review.code == 1  # foreign paths
    assert_shown_safely(review.out + review.err)
    review_json = json.loads(run(project, "review", "net", "--json").out)
    assert {f["path"] for f in review_json["files"]} == {*PATHS, LEAK, UP}
    merge = run(project, "merge", "net", "--force", "--reason", "test of a hostile tree")
    assert merge.code == 0, merge.err
    assert_shown_safely(merge.out + merge.err)
    audit = run(project, "audit")
    assert audit.code in (0, 1)
    assert_shown_safely(audit.out + audit.err)
    audit_json = json.loads(run(project, "audit", "--json").out)
    assert audit_json["merges"]
    status = run(project, "status")
    assert_shown_safely(status.out + status.err)
    never_leaks(review.out, merge.out, audit.out, status.out)


TAG = "net-for-main-2099-12-31"
TAG_MESSAGE = (
    "NET \x1b[2J\x1b]8;;http://evil\x07 <script>alert(1)</script>\r\n"
    "Bcc: victim@example.org\n\n[bold red]x[/] \u202e \x1c \x0b end\n"
)


def push_tag(project: Project, message: bytes) -> None:
    """The net maintainer's own pull tag at the head, with `message` kept byte for byte."""
    work = project.clone("net")
    file = project.root / "tag-message"
    file.write_bytes(message)
    git(work, "tag", "-a", "-F", str(file), "--cleanup=verbatim", TAG, "HEAD")
    git(work, "push", "-q", "origin", TAG)


def test_review_and_merge_show_a_hostile_tag_message_safely(project: Project) -> None:
    push_tag(project, TAG_MESSAGE.encode())
    review = run(project, "review", "net")
    assert review.code == 1  # foreign paths
    assert_shown_safely(review.out + review.err)
    assert TAG in review.out
    dry_run = run(project, "merge", "net", "--dry-run", "--force", "--reason", "hostile")
    assert dry_run.code == 0, dry_run.err
    assert_shown_safely(dry_run.out + dry_run.err)
    # The merge message quotes the tag: every control character shown, none a line break.
    assert "NET \\x1b[2J\\x1b]8;;http://evil\\x07 <script>alert(1)</script>\\r\n" in dry_run.out
    assert "[bold red]x[/] \\u202e \\x1c \\x0b end\n" in dry_run.out
    merge = run(project, "merge", "net", "--force", "--reason", "hostile")
    assert merge.code == 0, merge.err
    assert_shown_safely(merge.out + merge.err)


def test_merge_of_a_tag_whose_message_is_not_utf8(project: Project) -> None:
    push_tag(project, b"NET caf\xe9: latin-1\n")
    merge = run(project, "merge", "net", "--force", "--reason", "a latin-1 tag")
    assert merge.code == 0, merge.err


def test_python_m_treemerge_never_prints_a_traceback(project: Project) -> None:
    # Paths on standard input, one per line: the CR inside a name does not end its line.
    names = "\n".join(PATHS[:2] + PATHS[3:]).encode("utf-8", "surrogateescape") + b"\n"
    set_config(project, add="\n[integration]\ntest-command = cat net/leak\n")
    runs: list[tuple[tuple[str, ...], Callable[[str], object]]] = [
        (("check", "net"), assert_shown_safely),
        (("check", "net", "--json"), json.loads),
        (("request-pull", "net", "--dry-run", "--format", "markdown"), assert_safe_markdown),
        (("next", "--json"), json.loads),
        (("who", "--paths-from", "-"), assert_shown_safely),
        (("who", "--paths-from", "-", "--json"), json.loads),
        (("status", "--json"), json.loads),
    ]
    for args, judge in runs:
        done = subprocess.run(
            [sys.executable, "-m", "treemerge", "-C", str(project.root), *args],
            input=names,
            capture_output=True,
            check=False,
        )
        out = done.stdout.decode("utf-8")
        err = done.stderr.decode("utf-8")
        assert done.returncode in (0, 1), (args, err)
        for crash in NO_CRASH:
            assert crash not in err, (args, err)
        judge(out)
        never_leaks(out, err)
        if args[-1] == "--json" and args[0] == "who":
            found = [entry["path"] for entry in json.loads(out)["paths"]]
            assert found == [*PATHS[:2], *PATHS[3:]]
