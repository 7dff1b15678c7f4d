"""maintainers.cfg mistakes refused when read (file:line), before any git sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from treemerge.app.configfile import read_config
from treemerge.core.config import parse_config
from treemerge.core.errors import ConfigError

MAIN = "[main]\nurl = x\n"


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        # 10: the main tree's id is not a subsystem's (in any case).
        (MAIN + '[subsystem "main"]\n', 3, "", "subsystem id 'main' is taken"),
        (MAIN + '[subsystem "Main"]\n', 3, "", "subsystem id 'Main' is taken"),
        (MAIN + '[subsystem "net"]\n[subsystem "NET"]\n', 4, "", "differs from 'net' (line 3)"),
        # 12: ids are one component of refs/trees/<id>.
        (MAIN + '[subsystem "a..b"]\n', 3, "", "bad subsystem id 'a..b': it contains '..'"),
        (MAIN + '[subsystem "x.lock"]\n', 3, "", "it ends with '.lock'"),
        (MAIN + '[subsystem "x."]\n', 3, "", "it ends with '.'"),
        # branches are refs/heads/<branch>.
        (MAIN.replace("url = x", "url = x\nbranch = a..b"), 3, "branch", "refs/heads/a..b"),
        (MAIN + '[subsystem "a"]\nbranch = -n\n', 4, "branch", "starts with '-'"),
        (MAIN + '[subsystem "a"]\nbranch = x.lock\n', 4, "branch", "ends with '.lock'"),
        (MAIN + '[subsystem "a"]\nbranch = x/\n', 4, "branch", "ends with '/'"),
        # 11: every cron field within its range, steps from 1.
        (MAIN + '[subsystem "a"]\nschedule = */0 * * * *\n', 4, "schedule", "minute field"),
        (MAIN + '[subsystem "a"]\nschedule = 99 99 99 99 99\n', 4, "schedule", "99 is out"),
        (MAIN + '[subsystem "a"]\nschedule = 0 24 * * *\n', 4, "schedule", "hour field '24'"),
        (MAIN + '[subsystem "a"]\nschedule = 0 0 0 * *\n', 4, "schedule", "day of month"),
        (MAIN + '[subsystem "a"]\nschedule = 0 0 * 13 *\n', 4, "schedule", "month field"),
        (MAIN + '[subsystem "a"]\nschedule = 0 0 * * 8\n', 4, "schedule", "day of week"),
        (MAIN + '[subsystem "a"]\nschedule = 5-1 * * * *\n', 4, "schedule", "runs backwards"),
        (MAIN + '[subsystem "a"]\nschedule = */ * * * *\n', 4, "schedule", "a step"),
        (MAIN + '[subsystem "a"]\nschedule = 1,,2 * * * *\n', 4, "schedule", "not ''"),
        (MAIN + '[subsystem "a"]\nschedule = 0 0 * * funday\n', 4, "schedule", "'funday'"),
        (MAIN + '[subsystem "a"]\nschedule = 0 0 * mon *\n', 4, "schedule", "'mon'"),
    ],
)
def test_refused_when_read(text: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "m.cfg")
    error = caught.value
    assert (error.file, error.line, error.key) == ("m.cfg", line, key)
    assert words in str(error)


@pytest.mark.parametrize(
    "schedule", ["*/15 * * * *", "0 6 * * 1-5", "0 0 1 jan,jul *", "0 9 * * mon-fri", "0 0 * * 7"]
)
def test_good_cron_expressions_are_kept(schedule: str) -> None:
    config = parse_config(MAIN + f'[subsystem "a"]\nschedule = {schedule}\n', "m.cfg")
    assert config.subsystems[0].schedule == schedule


def test_main_stays_the_upstream_name() -> None:
    config = parse_config(MAIN + '[subsystem "mainline"]\nupstream = main\n', "m.cfg")
    assert config.subsystems[0].upstream == "main"


def test_a_byte_order_mark_is_no_part_of_line_one(tmp_path: Path) -> None:
    text = "\ufeff" + MAIN + '[subsystem "net"]\nfiles = net/\n'
    assert parse_config(text, "m.cfg").main.url == "x"
    path = tmp_path / "maintainers.cfg"
    path.write_bytes(text.encode("utf-8"))
    config = read_config(path)
    assert [s.id for s in config.subsystems] == ["net"]
    # ...and errors still count lines as the editor shows them.
    path.write_bytes(("\ufeff" + MAIN + "bogus\n").encode("utf-8"))
    with pytest.raises(ConfigError) as caught:
        read_config(path)
    assert caught.value.line == 3
