"""The user's own git configuration (for settings such as `sendemail.*`)."""

from __future__ import annotations

from treemerge.core.errors import GitError
from treemerge.gitio.run import run_git


def read_git_config() -> dict[str, str]:
    """The user's global git configuration as `git config --global -l -z` lists it.

    Keys are as git prints them (section and name in lower case); a key set more than
    once keeps its last value, as git does for single-valued keys; a key with no value
    (`[sendemail] smtpAuth` alone) reads as "true". No global configuration file is not
    an error: the result is then empty. Raises GitError when git cannot read the file.
    """
    try:
        out = run_git(["config", "--global", "--list", "-z"], where="global git config")
    except GitError as error:
        # git refuses to list a --global file that does not exist; for us it is empty.
        if "No such file or directory" in error.stderr:
            return {}
        raise
    return parse_config_list(out)


def parse_config_list(out: bytes) -> dict[str, str]:
    """`git config -l -z` output as a dict: NUL ends each entry, a newline ends its key."""
    config: dict[str, str] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        if not entry:
            continue
        key, newline, value = entry.partition("\n")
        config[key] = value if newline else "true"
    return config
