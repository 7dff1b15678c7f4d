"""treemerge's ref-name rules agree with `git check-ref-format` itself."""

from __future__ import annotations

import subprocess

import pytest

from treemerge.core.refname import refname_problem

NAMES = [
    "refs/heads/master",
    "refs/heads/for-main",
    "refs/heads/a./b",
    "refs/heads/@",
    "refs/tags/v1.0",
    "refs/tags/café",
    "@",
    "master",
    "/refs/heads/x",
    "refs/heads/x/",
    "refs//heads",
    "refs/heads/x.",
    "refs/heads/a..b",
    "refs/heads/.x",
    "refs/heads/x.lock",
    "refs/heads/x.lock/y",
    "refs/heads/x.locked",
    "refs/heads/a@{u}",
    "refs/heads/a@b",
    "refs/heads/a{b}",
    "refs/heads/a b",
    "refs/heads/a\tb",
    "refs/heads/a\x7fb",
    "refs/heads/a~1",
    "refs/heads/a^",
    "refs/heads/a:b",
    "refs/heads/a?",
    "refs/heads/a*",
    "refs/heads/a[b",
    "refs/heads/a]b",
    "refs/heads/a\\b",
    "refs/heads/-n",
    "refs/trees/main",
]


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_git(name: str) -> None:
    done = subprocess.run(["git", "check-ref-format", name], capture_output=True, check=False)
    assert (refname_problem(name) is None) == (done.returncode == 0), refname_problem(name)
