"""[notify] in maintainers.cfg: its defaults, its values, and mistakes named by line."""

from __future__ import annotations

import pytest

from treemerge.core.config import parse_config
from treemerge.core.errors import ConfigError
from treemerge.core.notify_config import NotifyConfig

MAIN = "[main]\nurl = x\n"


def test_every_notice_is_on_without_a_section() -> None:
    assert parse_config(MAIN).notify == NotifyConfig(True, True, True, (), None)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("merged = no\n", NotifyConfig(merged=False)),
        ("conflicts = No\nstale = no\n", NotifyConfig(conflicts=False, stale=False)),
        ("merged = yes\n", NotifyConfig()),
        (
            "cc = core@lists.example.org, Ann Bee <ann@example.org>\n   c@example.org\n",
            NotifyConfig(
                cc=("core@lists.example.org", "Ann Bee <ann@example.org>", "c@example.org")
            ),
        ),
        (
            "conflicts-list = Next <next@lists.example.org>\n",
            NotifyConfig(conflicts_list="Next <next@lists.example.org>"),
        ),
    ],
)
def test_values(section: str, expected: NotifyConfig) -> None:
    assert parse_config(f"{MAIN}[notify]\n{section}").notify == expected


@pytest.mark.parametrize(
    ("section", "line", "key", "words"),
    [
        ("merged = sometimes\n", 4, "merged", "expected yes or no"),
        ("stale = 1\n", 4, "stale", "expected yes or no"),
        ("\ncc = a@example.org\n  not an address\n", 6, "cc", "'not an address'"),
        ("conflicts-list = a@example.org, b@example.org\n", 4, "conflicts-list", "one address"),
        ("conflicts-list = Next List\n", 4, "conflicts-list", "expected an email address"),
        ("reply = yes\n", 4, "reply", "unknown key in [notify]"),
    ],
)
def test_mistakes_name_file_line_and_key(section: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f"{MAIN}[notify]\n{section}", "m.cfg")
    assert (caught.value.file, caught.value.line, caught.value.key) == ("m.cfg", line, key)
    assert words in str(caught.value)


def test_notify_is_named_among_the_sections() -> None:
    with pytest.raises(ConfigError, match=r"\[notify\]"):
        parse_config(f"{MAIN}[notices]\n")
