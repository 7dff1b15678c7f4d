"""maintainers.cfg: the model it gives, and errors that name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from treemerge.core.config import parse_config
from treemerge.core.errors import ConfigError
from treemerge.core.maintainers_file import parse_maintainers
from treemerge.core.matcher import OwnershipIndex
from treemerge.core.ownership import combine

GOOD = """\
# comment
[main]
url = ../nova.git
branch = master
to = Top <top@example.org>

[delivery]
method = email
smtp-port = 587

[integration]
order = libvirt sched
test-command = python -m compileall -q nova

[subsystem "libvirt"]
title = LIBVIRT DRIVER
maintainers = Jane Roe <jane@example.org>
              Rui Lee <rui@example.org>
tree = ../trees/libvirt.git
branch = for-main
schedule = weekly
files = nova/virt/libvirt/
        nova/tests/unit/virt/libvirt/
exclude = nova/virt/libvirt/volume/fs.py
regex =

[subsystem "sched"]
upstream = libvirt
schedule = 0 6 * * 1-5
files = nova/scheduler/
"""


def test_model() -> None:
    config = parse_config(GOOD, "m.cfg")
    assert config.main.url == "../nova.git"
    assert config.main.to == ("Top <top@example.org>",)
    assert config.delivery.method == "email"
    assert config.delivery.get("smtp-port") == "587"
    assert config.integration.order == ("libvirt", "sched")
    libvirt = config.subsystem("libvirt")
    assert libvirt is not None
    assert libvirt.maintainers == ("Jane Roe <jane@example.org>", "Rui Lee <rui@example.org>")
    assert [(v.text, v.line) for v in libvirt.files] == [
        ("nova/virt/libvirt/", 22),
        ("nova/tests/unit/virt/libvirt/", 23),
    ]
    assert libvirt.regex == ()
    sched = config.subsystem("sched")
    assert sched is not None
    assert (sched.title, sched.upstream, sched.schedule) == ("sched", "libvirt", "0 6 * * 1-5")


def test_subsystems_become_sections() -> None:
    ownership = combine(parse_config(GOOD, "m.cfg"), None)
    index = OwnershipIndex(ownership)
    names = [s.name for s in index.owners("nova/virt/libvirt/driver.py").sections]
    assert names == ["LIBVIRT DRIVER"]
    assert index.owners("nova/virt/libvirt/volume/fs.py").sections == ()
    assert ownership.sections[0].subsystem == "libvirt"


def test_subsystem_joins_the_maintainers_section_with_its_title() -> None:
    text = GOOD.replace("[main]\n", "[main]\nmaintainers-file = MAINTAINERS\n")
    kernel = parse_maintainers("LIBVIRT DRIVER\nM:\tK <k@x>\nF:\tnova/conf/libvirt.py\n")
    ownership = combine(parse_config(text, "m.cfg"), kernel)
    libvirt = ownership.sections[0]
    assert libvirt.subsystem == "libvirt"
    assert libvirt.maintainers == ("K <k@x>",)
    assert libvirt.values("F") == (
        "nova/conf/libvirt.py",
        "nova/virt/libvirt/",
        "nova/tests/unit/virt/libvirt/",
    )
    added = [e for e in libvirt.entries if e.file == "m.cfg"]
    assert [e.line for e in added] == [23, 24, 25]


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("[main]\nurl = x\n[bogus]\n", 3, "", "unknown section [bogus]"),
        ("[main]\nurl = x\ncolour = red\n", 3, "colour", "unknown key"),
        ("[main]\nurl = x\nurl = y\n", 3, "url", "set twice (first on line 2)"),
        ("[main]\nbranch = m\n", 1, "", "needs `url =`"),
        ("url = x\n", 1, "url", "key before any [section]"),
        ("[main]\nurl = x\njust words\n", 3, "", "expected `key = value`"),
        ("  indented\n", 1, "", "continues no key"),
        ('[main]\nurl = x\n[subsystem "a"]\nschedule = hourly\n', 4, "schedule", "cron"),
        ('[main]\nurl = x\n[subsystem "a"]\nupstream = b\n', 4, "upstream", "unknown upstream"),
        (
            '[main]\nurl = x\n[subsystem "a"]\nupstream = b\n[subsystem "b"]\nupstream = a\n',
            4,
            "upstream",
            "loop: a -> b -> a",
        ),
        ("[main]\nurl = x\n[delivery]\nmethod = pigeon\n", 4, "method", "email, github"),
        ("[main]\nurl = x\n[delivery]\nsmtp-port = lots\n", 4, "smtp-port", "port number"),
        ("[main]\nurl = x\n[integration]\norder = nope\n", 4, "order", "unknown subsystem"),
        ('[main]\nurl = x\n[subsystem "bad id!"]\n', 3, "", "bad subsystem id"),
        ("[main]\nurl = x\n[subsystem]\n", 3, "", 'expected [subsystem "id"]'),
        ("[main]\nurl = x\n[main]\nurl = y\n", 3, "", "appears twice"),
        ("[main\n", 1, "", "bad section header"),
        ("[main]\nurl = x\n[integration]\nstale-after = a year\n", 4, "stale-after", "days"),
        ("[main]\nurl = x\n[integration]\nstale-cycles = -1\n", 4, "stale-cycles", "from 0"),
    ],
)
def test_errors_name_file_line_and_key(text: str, line: int, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "conf/m.cfg")
    error = caught.value
    assert (error.file, error.line, error.key) == ("conf/m.cfg", line, key)
    assert words in str(error)
    assert str(error).startswith(f"conf/m.cfg:{line}: ")


def test_stale_settings_and_their_defaults() -> None:
    assert parse_config("[main]\nurl = x\n").integration[3:] == (365, 10)
    text = "[main]\nurl = x\n[integration]\nstale-after = 30\nstale-cycles = 0\n"
    integration = parse_config(text).integration
    assert (integration.stale_after, integration.stale_cycles) == (30, 0)


def test_the_shipped_example_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "maintainers.cfg"
    config = parse_config(path.read_text(), str(path))
    ids = [s.id for s in config.subsystems]
    for wanted in ("libvirt", "vmware", "ironic", "zvm", "scheduler", "api", "placement"):
        assert wanted in ids
    ownership = combine(config, None)
    index = OwnershipIndex(ownership)
    assert not index.diagnostics
    names = [s.name for s in index.owners("nova/virt/libvirt/driver.py").sections]
    assert names == ["LIBVIRT DRIVER"]
