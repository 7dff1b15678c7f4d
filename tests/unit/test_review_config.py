"""maintainers.cfg's review keys (issue 17): cores, review, review-votes,
cores-from-reviewers, read and refused with file, line and key."""

from __future__ import annotations

import pytest

from treemerge.core.config import ReviewConfig, parse_config
from treemerge.core.errors import ConfigError

MAIN = "[main]\nurl = x\n"
SUB = '[subsystem "virt"]\n'


@pytest.mark.parametrize(
    ("text", "review"),
    [
        ("", None),  # no review key: no review report at all
        ("review = 0\n", ReviewConfig(line=4)),
        (
            "cores = Cora Core <cora@example.org>\n",
            ReviewConfig(cores=("Cora Core <cora@example.org>",), line=4),
        ),
        (
            "cores = A <a@x.org>, B, Jr <b@x.org>\n        C <c@x.org>\n",
            ReviewConfig(cores=("A <a@x.org>", "B, Jr <b@x.org>", "C <c@x.org>"), line=4),
        ),
        (
            "title = T\nreview = 2\nreview-votes = +1\ncores-from-reviewers = yes\n",
            ReviewConfig(required=2, votes=1, cores_from_reviewers=True, line=5),
        ),
        ("review-votes = +2\n", ReviewConfig(votes=2, line=4)),
    ],
)
def test_review_keys_read(text: str, review: ReviewConfig | None) -> None:
    (sub,) = parse_config(MAIN + SUB + text, "m.cfg").subsystems
    assert sub.review == review


def test_main_cores() -> None:
    config = parse_config("[main]\nurl = x\ncores = Nina Nova <nina@example.org>\n", "m.cfg")
    assert config.main.cores == ("Nina Nova <nina@example.org>",)
    assert parse_config(MAIN, "m.cfg").main.cores == ()


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        (MAIN + SUB + "review = two\n", 4, "review", "whole number"),
        (MAIN + SUB + "review = -1\n", 4, "review", "whole number"),
        (MAIN + SUB + "review-votes = 2\n", 4, "review-votes", "expected one of +2, +1"),
        (MAIN + SUB + "review-votes = +0\n", 4, "review-votes", "expected one of +2, +1"),
        (MAIN + SUB + "cores-from-reviewers = true\n", 4, "cores-from-reviewers", "yes, no"),
        (MAIN + SUB + "cores = Cora Core\n", 4, "cores", "'Cora Core': expected Name <email>"),
        (MAIN + SUB + "cores = A <a@x.org>\n  B <b>\n", 5, "cores", "'B <b>'"),
        (MAIN + SUB + "cores = A <a@x.org> B <b@x.org>\n", 4, "cores", "expected Name"),
        ("[main]\nurl = x\ncores = nobody\n", 3, "cores", "expected Name <email>"),
        ("[main]\nurl = x\nreview = 1\n", 3, "review", "unknown key in [main]"),
    ],
)
def test_review_keys_refused(text: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "m.cfg")
    error = caught.value
    assert (error.file, error.line, error.key) == ("m.cfg", line, key)
    assert words in str(error)
