"""A fake GitHub and Gitea on 127.0.0.1, for the forge delivery tests.

It fakes the forges' published REST API for pull requests, because no real forge can
run here: GitHub's "Pulls" endpoints (docs.github.com/en/rest/pulls/pulls: list pull
requests, create a pull request, update a pull request) at the root, and Gitea's API v1
"repository" pull endpoints (repoListPullRequests, repoCreatePullRequest,
repoEditPullRequest) under /api/v1. It keeps the answers' documented shapes and status
codes (GitHub answers a duplicate pull with 422, Gitea with 409; Gitea's edit answers
201; Gitea pages with `page`/`limit`, X-Total-Count and Link), checks each flavour's
Authorization header, keeps pull requests in memory, records every request, and can be
told to fail the next requests (5xx, 429 with Retry-After, 422, 401, a slow answer).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

TOKEN = "tm-test-token-7f3a9c"
GITEA_PREFIX = "/api/v1"
GITHUB_DUPLICATE = "A pull request already exists for {}."
GITEA_DUPLICATE = "pull request already exists for these targets [head_branch: {}, base_branch: {}]"


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str  # without the query
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON body, or None


@dataclass
class Failure:
    """A canned answer for the next `times` requests (of `method`, when set)."""

    status: int
    times: int
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


@dataclass
class Pull:
    number: int
    repo: str
    head_owner: str
    head: str
    base: str
    title: str
    body: str
    state: str = "open"


Answer = tuple[int, dict[str, str], Any]


class FakeForge:
    """The forge's state, its failure plan and its request log (thread-safe)."""

    def __init__(self) -> None:
        self.url = ""  # http://127.0.0.1:PORT once serving
        self.token = TOKEN
        self.repos = {"nova/nova"}
        self.gitea_max_limit = 50  # Gitea's MAX_RESPONSE_ITEMS
        self.requests: list[Recorded] = []
        self.on_request: Callable[[Recorded], None] | None = None
        self._pulls: dict[tuple[str, str], list[Pull]] = {}
        self._failures: list[Failure] = []
        self._lock = threading.Lock()

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

    def add_pull(
        self,
        flavour: str,
        head: str,
        base: str = "master",
        *,
        repo: str = "nova/nova",
        head_owner: str | None = None,
        state: str = "open",
        body: str = "",
    ) -> Pull:
        """A pull request made by someone else (another run, a person)."""
        with self._lock:
            pulls = self._pulls.setdefault((flavour, repo), [])
            owner = head_owner or repo.partition("/")[0]
            pull = Pull(len(pulls) + 1, repo, owner, head, base, f"pull {head}", body, state)
            pulls.append(pull)
            return pull

    def pulls(self, flavour: str, repo: str = "nova/nova") -> list[Pull]:
        with self._lock:
            return list(self._pulls.get((flavour, repo), []))

    def methods(self) -> list[str]:
        """Each recorded request as "METHOD path"."""
        return [f"{r.method} {r.path}" for r in self.requests]

    def answer(self, recorded: Recorded) -> tuple[Answer, float]:
        """The answer to one request, and how long to wait before giving it."""
        with self._lock:
            self.requests.append(recorded)
        if self.on_request is not None:
            self.on_request(recorded)
        failure = self._next_failure(recorded.method)
        if failure is not None:
            return (failure.status, failure.headers, failure.body), failure.delay
        flavour = "gitea" if recorded.path.startswith(GITEA_PREFIX + "/") else "github"
        if not self._authorized(flavour, recorded.headers.get("Authorization", "")):
            return (401, {}, {"message": "Bad credentials"}), 0.0
        with self._lock:
            return self._route(flavour, recorded), 0.0

    def _next_failure(self, method: str) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method):
                    failure.times -= 1
                    if failure.times == 0:
                        self._failures.remove(failure)
                    return failure
        return None

    def _authorized(self, flavour: str, header: str) -> bool:
        scheme = "Bearer" if flavour == "github" else "token"
        return header == f"{scheme} {self.token}"

    def _route(self, flavour: str, recorded: Recorded) -> Answer:
        path = recorded.path.removeprefix(GITEA_PREFIX) if flavour == "gitea" else recorded.path
        parts = path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "repos" or parts[3] != "pulls":
            return 404, {}, {"message": "Not Found"}
        repo = f"{parts[1]}/{parts[2]}"
        if repo not in self.repos:
            return 404, {}, {"message": "Not Found"}
        pulls = self._pulls.setdefault((flavour, repo), [])
        if len(parts) == 4 and recorded.method == "GET":
            return self._list(flavour, pulls, recorded)
        if len(parts) == 4 and recorded.method == "POST":
            return self._create(flavour, repo, pulls, recorded.body or {})
        if len(parts) == 5 and parts[4].isdigit() and recorded.method == "PATCH":
            return self._edit(flavour, pulls, int(parts[4]), recorded.body or {})
        return 404, {}, {"message": "Not Found"}

    def _list(self, flavour: str, pulls: list[Pull], recorded: Recorded) -> Answer:
        query = recorded.query
        state = query.get("state", "open")
        chosen = [p for p in pulls if state in ("all", p.state)]
        if flavour == "github":
            # GitHub filters on head ("owner:branch") and base itself.
            if "head" in query:
                chosen = [p for p in chosen if f"{p.head_owner}:{p.head}" == query["head"]]
            if "base" in query:
                chosen = [p for p in chosen if p.base == query["base"]]
            size = min(int(query.get("per_page", "30")), 100)
            page = int(query.get("page", "1"))
            shown = chosen[(page - 1) * size : page * size]
            return 200, {}, [self._view(flavour, p) for p in shown]
        size = min(int(query.get("limit", "30")), self.gitea_max_limit)
        page = int(query.get("page", "1"))
        shown = chosen[(page - 1) * size : page * size]
        headers = {"X-Total-Count": str(len(chosen))}
        if page * size < len(chosen):
            link = f"{self.url}{recorded.path}?page={page + 1}&limit={size}"
            headers["Link"] = f'<{link}>; rel="next"'
        return 200, headers, [self._view(flavour, p) for p in shown]

    def _create(self, flavour: str, repo: str, pulls: list[Pull], body: dict[str, Any]) -> Answer:
        title, head, base = body.get("title"), body.get("head"), body.get("base")
        if not (title and head and base):
            return 422, {}, {"message": "Validation Failed: title, head and base are required"}
        owner, _, branch = head.rpartition(":")
        owner = owner or repo.partition("/")[0]
        for pull in pulls:
            if (pull.state, pull.head_owner, pull.head, pull.base) == ("open", owner, branch, base):
                if flavour == "github":
                    error = {"message": GITHUB_DUPLICATE.format(f"{owner}:{branch}")}
                    return 422, {}, {"message": "Validation Failed", "errors": [error]}
                return 409, {}, {"message": GITEA_DUPLICATE.format(branch, base)}
        pull = Pull(len(pulls) + 1, repo, owner, branch, base, title, body.get("body") or "")
        pulls.append(pull)
        return 201, {}, self._view(flavour, pull)

    def _edit(self, flavour: str, pulls: list[Pull], number: int, body: dict[str, Any]) -> Answer:
        pull = next((p for p in pulls if p.number == number), None)
        if pull is None:
            return 404, {}, {"message": "Not Found"}
        pull.title = body.get("title", pull.title)
        pull.body = body.get("body", pull.body)
        return (200 if flavour == "github" else 201), {}, self._view(flavour, pull)

    def _view(self, flavour: str, pull: Pull) -> dict[str, Any]:
        """The pull request as the forge's API shows it (the fields treemerge reads)."""
        owner = pull.repo.partition("/")[0]
        github = flavour == "github"
        kind = "pull" if github else "pulls"
        return {
            "number": pull.number,
            "html_url": f"https://{flavour}.example/{pull.repo}/{kind}/{pull.number}",
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "head": {
                "ref": pull.head,
                # GitHub's label is "owner:branch", Gitea's the bare branch.
                "label": f"{pull.head_owner}:{pull.head}" if github else pull.head,
                "repo": {"owner": {"login": pull.head_owner}},
            },
            "base": {"ref": pull.base, "repo": {"owner": {"login": owner}}},
        }


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
        data = json.dumps(body).encode()
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
def forge_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeForge]:
    """A fake forge serving on 127.0.0.1 for the duration of one test."""
    # A proxy configured in the environment must not see loopback traffic.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    forge = FakeForge()
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
