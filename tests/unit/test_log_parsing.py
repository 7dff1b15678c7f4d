"""Commits read from `git log -z` output (treemerge.gitio.history.parse_commits)."""

from __future__ import annotations

from treemerge.gitio.history import _parse_commits_bytes, parse_commits


def record(*fields: bytes) -> bytes:
    """One commit as `git log -z --format=...%x00...` writes it (NUL after each field,
    and the NUL ending the record)."""
    return b"\0".join(fields) + b"\0"


A = "a" * 40
B = "b" * 40
C = "c" * 40
TWO = record(
    A.encode(),
    b"",
    b"Ann <ann@example.org>",
    b"1700000000",
    b"Ann",
    b"first",
    b"Cy <cy@example.org>",
    b"first\n\nbody\n",
) + record(
    b"\n" + B.encode(),  # (a record after the first starts with git's newline)
    f"{A} {C}".encode(),
    b"Bob <bob@example.org>",
    b"1700000100",
    b"Robert",
    b"Merge",
    b"Bob <bob@example.org>",
    b"Merge\n\nAcked-by: Ann <ann@example.org>\n",
)


def test_every_field_of_every_commit() -> None:
    first, merge = parse_commits(TWO)
    assert first == (A, (), "Ann <ann@example.org>", 1700000000, "first\n\nbody\n", "Ann", "first",
                     "Cy <cy@example.org>")  # fmt: skip
    assert (merge.sha, merge.parents, merge.name, merge.time) == (B, (A, C), "Robert", 1700000100)
    assert merge.is_merge
    assert merge.acked_by() == frozenset({"ann@example.org"})


def test_text_that_is_not_utf8_survives() -> None:
    """Names and subjects keep their bytes (as surrogates, escaped when shown); the
    author and the message are made readable."""
    raw = record(
        A.encode(),
        b"",
        b"J\xf6rg <j@example.org>",
        b"1",
        b"J\xf6rg",
        b"f\xfcx",
        b"C\xf6 <c@x>",
        b"f\xfcx\n",
    )
    (commit,) = parse_commits(raw)
    assert commit.name == "J\udcf6rg"
    assert commit.oneline == "f\udcfcx"
    assert commit.author == "J\ufffdrg <j@example.org>"
    assert commit.message == "f\ufffdx\n"
    assert commit.committer == "C\ufffd <c@x>"


def test_utf8_output_reads_as_field_by_field_decoding_would() -> None:
    text = TWO.replace(b"Robert", "Røbert ☃".encode())
    assert list(parse_commits(text)) == list(_parse_commits_bytes(text))
    assert list(parse_commits(b"")) == []
