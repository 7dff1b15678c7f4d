"""A fake GitHub and Gitea on 127.0.0.1, for the forge delivery tests.

It fakes the forges' published REST API for pull requests, because no real forge can
run here: GitHub's "Pulls" endpoints (docs.github.com/en/rest/pulls/pulls: list, get,
create and update a pull request; docs.github.com/en/rest/issues/comments: list and
create a pull request's comments) at the root, and Gitea's API v1 "repository" pull
endpoints (repoListPullRequests, repoGetPullRequest, repoCreatePullRequest,
repoEditPullRequest; routers/api/v1/repo/pull.go; issueGetComments and
issueCreateComment, issue_comment.go) under /api/v1. It keeps the answers'
documented shapes and status codes, checks each flavour's Authorization header, keeps
pull requests in memory, records every request, and can be told to fail the next
requests (5xx, rate limits, 422, 401, a slow answer).

It refuses what the real forges refuse; each rule in `forge_rules.py` cites where it
is documented. Its repositories stand on real git repositories: a test tells it each
forge repository's git directory (`add_repo`), the one treemerge pushes its branch to,
and it reads a branch with `git rev-parse` there, as the forge would, to accept a head
and to answer `head.sha`. Tests written before it knew repositories run it with
`strict = False` (the fixture's default): a head owner it does not know is taken to
own a fork of the base, and a branch of a repository without a git directory is looked
for in every repository under the test's directory.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.e2e.forge_rules import BOT, UNAUTHORIZED, Answer, Pull, Repo, Rules, branch_sha

TOKEN = "tm-test-token-7f3a9c"
PASSWORD = "nova-bot-password-5d1e"  # the account's password, for Basic auth
GITEA_PREFIX = "/api/v1"
# GitHub's rate-limit answers (docs.github.com/en/rest/using-the-rest-api/
# rate-limits-for-the-rest-api): the primary limit's headers, a secondary limit's words.
RATE_DOCS = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
PRIMARY_MESSAGE = "API rate limit exceeded for user ID 1."
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID."
)

__all__ = [
    "BOT",
    "PASSWORD",
    "TOKEN",
    "FakeForge",
    "Pull",
    "Recorded",
    "Repo",
    "branch_sha",
    "forge_server",
]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON body, or None
    at: float = 0.0  # the forge's clock when it came


@dataclass
class Failure:
    """A canned answer for the next `times` requests (of `method`, when set)."""

    status: int
    times: int
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


class FakeForge(Rules):
    """The forge's state, its failure plan and its request log (thread-safe)."""

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(root)
        self.url = ""  # http://127.0.0.1:PORT once serving
        self.token = TOKEN
        self.passwords = {BOT: PASSWORD}
        self.clock: Callable[[], float] = time.time
        self.requests: list[Recorded] = []
        self.on_request: Callable[[Recorded], None] | None = None
        self._failures: list[Failure] = []
        self._lock = threading.Lock()
        self.add_repo("nova/nova", writers=(BOT,))

    @property
    def github_url(self) -> str:
        return self.url

    @property
    def gitea_url(self) -> str:
        return self.url + GITEA_PREFIX

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        method: str | None = None,
        retry_after: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests (of `method`) with `status`, after `delay`."""
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = retry_after
        answer = body if body is not None else {"message": f"canned failure {status}"}
        with self._lock:
            self._failures.append(Failure(status, times, method, extra, answer, delay))

    def primary_limit(self, *, reset: int, status: int = 403, times: int = 1) -> None:
        """GitHub's primary rate limit: no request left until `reset` (Unix seconds);
        403 or 429 with x-ratelimit-remaining: 0 ("Exceeding the primary rate limit")."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(reset),
            "x-ratelimit-resource": "core",
        }
        body = {"message": PRIMARY_MESSAGE, "documentation_url": RATE_DOCS}
        self.fail(status, times, headers=headers, body=body)

    def secondary_limit(
        self, *, retry_after: str | None = None, status: int = 403, times: int = 1
    ) -> None:
        """GitHub's secondary rate limit: 403 or 429, with or without Retry-After, and
        requests left ("Exceeding the secondary rate limit")."""
        headers = {"x-ratelimit-remaining": "4990", "x-ratelimit-reset": "0"}
        body = {"message": SECONDARY_MESSAGE, "documentation_url": RATE_DOCS}
        self.fail(status, times, retry_after=retry_after, headers=headers, body=body)

    def add_pull(
        self,
        flavour: str,
        head: str,
        base: str = "master",
        *,
        repo: str = "nova/nova",
        head_repo: str | None = None,
        head_owner: str | None = None,
        state: str = "open",
        body: str = "",
        poster: str = BOT,
        sha: str | None = None,
    ) -> Pull:
        """A pull request made by someone else (another run, a person)."""
        with self._lock:
            base_repo = self.repo(repo)
            assert base_repo is not None
            name = head_repo or f"{head_owner or base_repo.owner}/{base_repo.name}"
            pulls = self._pulls.setdefault((flavour, base_repo.full_name), [])
            pull = Pull(
                len(pulls) + 1, base_repo.full_name, name, head, base, f"pull {head}", body,
                poster, state, sha,
            )  # fmt: skip
            pulls.append(pull)
            return pull

    def pulls(self, flavour: str, repo: str = "nova/nova") -> list[Pull]:
        with self._lock:
            return list(self._pulls.get((flavour, repo), []))

    def view(self, flavour: str, pull: Pull) -> dict[str, Any]:
        """The pull request as the forge's API shows it now."""
        with self._lock:
            return self._view(flavour, pull)

    def methods(self) -> list[str]:
        """Each recorded request as "METHOD path"."""
        return [f"{r.method} {r.path}" for r in self.requests]

    def answer(self, recorded: Recorded) -> tuple[Answer, float]:
        """The answer to one request, and how long to wait before giving it."""
        recorded.at = self.clock()
        with self._lock:
            self.requests.append(recorded)
        if self.on_request is not None:
            self.on_request(recorded)
        failure = self._next_failure(recorded.method)
        if failure is not None:
            return (failure.status, failure.headers, failure.body), failure.delay
        flavour = "gitea" if recorded.path.startswith(GITEA_PREFIX + "/") else "github"
        login = self._login(flavour, recorded.headers.get("Authorization", ""))
        if login is None:
            return (401, {}, {"message": UNAUTHORIZED[flavour]}), 0.0
        path = recorded.path.removeprefix(GITEA_PREFIX) if flavour == "gitea" else recorded.path
        with self._lock:
            return self.route(flavour, recorded.method, path, recorded, login), 0.0

    def _next_failure(self, method: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method):
                    failure.times -= 1
                    if failure.times == 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()


class _Handler(BaseHTTPRequestHandler):
    forge: FakeForge  # set on the subclass made for each server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read captured output, and this would fill it."""

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        recorded = Recorded(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query)),
            headers=dict(self.headers.items()),
            body=json.loads(raw) if raw else None,
        )
        (status, headers, body), delay = self.forge.answer(recorded)
        time.sleep(delay)
        # Gitea answers some refusals with a status alone (ctx.Status): no body.
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that gave up on a slow answer is expected here."""


@pytest.fixture
def forge_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeForge]:
    """A fake forge serving on 127.0.0.1 for the duration of one test."""
    # A proxy configured in the environment must not see loopback traffic.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    forge = FakeForge(tmp_path)
    handler = type("Handler", (_Handler,), {"forge": forge})
    server = _Server(("127.0.0.1", 0), handler)
    # A short poll interval: shutdown() waits up to one interval.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
