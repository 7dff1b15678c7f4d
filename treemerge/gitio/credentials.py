"""The user's own git credentials (`git credential fill`), for forge REST APIs.

A forge token is often already stored for git pushes (`gh auth setup-git`, Git
Credential Manager, a keychain helper); asking git for it spares the user a second
place to keep it. The user name comes with it: Gitea takes a helper's login (an
account password as well as a token) by Basic auth, which needs both. git never prompts
here (run_git disables terminal prompts), so an absent credential is an answer, not a
hang.
"""

from __future__ import annotations

import os
import tempfile

from treemerge.core.errors import GitError
from treemerge.gitio.run import run_git

# A helper that answers nothing must not hold a cron run forever.
FILL_TIMEOUT = 30.0


def credential_login(
    protocol: str, host: str, *, timeout: float = FILL_TIMEOUT
) -> tuple[str | None, str] | None:
    """(user name, password) that git's credential helpers hold for `protocol://host`
    (the user name None should git's answer lack one); None when they hold no password.

    `host` is as git expects it: a host name, with ":port" when the port is not the
    default. None too when git cannot run or the helper fails; the password itself
    never appears in an error.
    """
    request = f"protocol={protocol}\nhost={host}\n\n".encode()
    # Run outside every repository: a tree's .git/config must never choose the helper
    # (it could name any program); only the user's global and system config count.
    with tempfile.TemporaryDirectory(prefix="treemerge-credential-") as empty:
        ceiling = {"GIT_CEILING_DIRECTORIES": os.path.dirname(empty)}
        try:
            out = run_git(
                ["credential", "fill"], cwd=empty, input=request, env=ceiling, timeout=timeout
            )
        except GitError:
            return None
    answer = out.decode("utf-8", "replace")
    password = _field(answer, "password")
    return (_field(answer, "username"), password) if password else None


def _field(answer: str, name: str) -> str | None:
    """The value of `name=` in git's credential answer, if it is there and not empty."""
    for line in answer.splitlines():
        key, sep, value = line.partition("=")
        if sep and key == name and value:
            return value
    return None
