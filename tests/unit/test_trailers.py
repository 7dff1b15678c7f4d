"""Trailers found by git's rules (treemerge.core.trailers); tests/git/test_trailers_git.py
holds the same table against `git interpret-trailers --parse` itself."""

from __future__ import annotations

import pytest

from treemerge.core.trailers import trailers

R = "Reviewed-by: Rae Viewer <rae@example.org>"
A = "Acked-by: Ann Acker <ann@example.org>"
S = "Signed-off-by: Sam Sign <sam@example.org>"
RV = ("Reviewed-by", "Rae Viewer <rae@example.org>")
AV = ("Acked-by", "Ann Acker <ann@example.org>")
SV = ("Signed-off-by", "Sam Sign <sam@example.org>")

# (message, the trailers as (token, value), with --no-divider as commit messages have it)
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    ("subject only\n", []),
    (f"{R}\n", []),  # the subject is never a trailer
    (f"{R}\n\n{A}\n", [AV]),
    (f"subject\n\nbody\n\n{R}\n{A}\n", [RV, AV]),
    (f"subject\n\n{R}\n\nbody after\n", []),  # not the last paragraph
    (f"subject\n\nbody\n{R}\n", []),  # body and trailer in one paragraph, no git trailer
    (f"subject\n\n> {R}\n", []),  # quoted
    (f"subject\n\nquoted:\n> {R}\n\n{S}\n", [SV]),
    (f"subject\n\n{R}\n  continued\n\tand more\n",
     [("Reviewed-by", "Rae Viewer <rae@example.org> continued and more")]),
    # A git-generated trailer lets a quarter of the lines be something else.
    (f"subject\n\n{S}\nfree text\nmore text\n{R}\n", [SV, RV]),
    (f"subject\n\n{S}\nfree\nfree\nfree\nfree\n", []),  # 1 of 5: below a quarter
    (f"subject\n\n{R}\nfree text\n", []),  # no git-generated line: every line must be one
    (f"subject\n\n{A}\n\n\n# a comment\n\n", [AV]),
    (f"subject\n\n{A}\n# inside\n", [AV]),
    (f"subject\n\n{A}\n\nConflicts:\n\tnet/core.c\n", [AV]),
    (f"subject\n\n{A}\n# ------------------------ >8 ------------------------\nX: y\n", [AV]),
    (f"subject\n\n{A}\n---\nnet/core.c | 1 +\n", []),  # no divider in a commit message
    ("subject\n\nToken With Space: no\n", []),
    ("subject\n\nKey : spaced separator\n", [("Key", "spaced separator")]),
    ("subject\n\n: no token\n", []),
    ("subject\n\nAcked-by:\n", [("Acked-by", "")]),
    ("subject\n\nacked-BY: lower <l@x.org>", [("acked-BY", "lower <l@x.org>")]),
    ("subject\n\nA: b\r\n", [("A", "b")]),
    ("subject\n\n(cherry picked from commit abc)\nwhatever\n", []),
    (f"subject\n   \n{R}\n", [RV]),
    (f"# comment\nsubject\n\n{R}\n", [RV]),
    ("subject\n\nAcked-by: a <a@x.org>\u2028Reviewed-by: b <b@x.org>\n",
     [("Acked-by", "a <a@x.org>\u2028Reviewed-by: b <b@x.org>")]),
    ("", []),
]  # fmt: skip

# With the divider, as `git interpret-trailers --parse` reads a patch.
DIVIDER_CASES: list[tuple[str, list[tuple[str, str]]]] = [
    (f"subject\n\n{A}\n---\nnet/core.c | 1 +\n", [AV]),
    (f"subject\n\n{A}\n---not a divider\n", []),
    (f"subject\n\n{A}\n---", []),
]


@pytest.mark.parametrize(("message", "expected"), CASES)
def test_trailers(message: str, expected: list[tuple[str, str]]) -> None:
    assert [tuple(t) for t in trailers(message)] == expected


@pytest.mark.parametrize(("message", "expected"), DIVIDER_CASES)
def test_trailers_before_a_divider(message: str, expected: list[tuple[str, str]]) -> None:
    assert [tuple(t) for t in trailers(message, divider=True)] == expected
