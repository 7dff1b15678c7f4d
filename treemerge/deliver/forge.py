"""Pull requests on GitHub and Gitea through their REST APIs.

Both forges open a pull request from a branch, never from a tag, and show (and merge)
whatever that branch holds. So the commit a request names is pushed, by app.send, to a
branch of treemerge's own in the head repository (`forge_branch`); the pull request is
opened from it, and after every create or update the forge's `head.sha` must be that
commit, or the delivery fails.

A pull request is created once and updated afterwards: before creating one, the open
pull request from the same head to the same base is looked up and, if there is one, its
title and body are overwritten. A cron cycle that dies halfway and runs again therefore
never leaves two pull requests for one branch. The body ends with a hidden marker
holding the pull's Message-Id, which tells which pull a forge pull request shows; a body
longer than GitHub takes is cut (forge_body) and says where the whole text is.

Failures are handled as the forges ask: a rate limit is waited out, never retried before
the time the forge names, and left to the next run when that is past what this run may
still wait (RetryBudget); a refusal keeps the server's own words.

The credential and its Authorization header come from forge_auth. The secret never
leaves that header: it is kept out of every repr and every exception message, and
redacted from anything a server says back.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from treemerge.core.config import DeliveryConfig
from treemerge.core.escape import escape_text
from treemerge.deliver import DeliveryError, PullMessage, RetryBudget
from treemerge.deliver.forge_auth import TOKEN_VARIABLE, Credential, header_auth
from treemerge.deliver.forge_body import pull_body

KINDS = ("github", "gitea")
MARKER = "<!-- treemerge-pull: {} -->"
REPO_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
FORK_NAME = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
API_URL_EXAMPLES = {
    "github": "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise",
    "gitea": "https://HOST/api/v1",
}
HEADERS = {
    "github": {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    "gitea": {"Accept": "application/json"},
}
# What to check when the forge refuses (after the API's own words).
REJECTED = {
    401: "the token was refused: check that it is valid and not expired "
    f"(${TOKEN_VARIABLE} or git's credential helper)",
    403: "the token may not do this: check that it can write pull requests on {repo} "
    "(GitHub: `repo` scope or 'Pull requests: write'; Gitea: `write:repository`, and "
    "only the pull request's poster or a writer may edit it)",
    404: "not found: check `repo = {repo}` and `api-url = {api}` in [delivery], "
    "and that the token can see the repository",
}
# Gitea's create call answers 404 for each of these (routers/api/v1/repo/pull.go,
# parseCompareInfo); its message names the check that failed, not the cause.
GITEA_CREATE_404 = (
    "Gitea answers 404 here when there is no user or organisation {owner}, when {owner} "
    "has no fork of {repo}, when branch {branch} is not in the head repository, or when "
    "the token's account cannot read either repository"
)

DEFAULT_TIMEOUT = 30.0
DEFAULT_ATTEMPTS = 4
MAX_BACKOFF = 60.0
# GitHub's rules for rate limits (docs.github.com/en/rest/using-the-rest-api/
# rate-limits-for-the-rest-api): Retry-After when given; with no requests left, not
# before x-ratelimit-reset; otherwise "wait for at least one minute", longer each time.
LIMIT_WAIT = 60.0
SECONDARY_LIMIT = re.compile(r"secondary rate limit|abuse detection", re.IGNORECASE)
# GitHub moves a pull request's head after a push in the background: the head is read
# again after these pauses before a difference counts.
HEAD_SETTLE = (2.0, 4.0)
GITEA_PAGE_SIZE = 50
MAX_PAGES = 100  # 5,000 open pull requests: far beyond any real repository
MAX_MESSAGE = 600  # characters of an error worth showing

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Json = dict[str, Any]


@dataclass(frozen=True)
class ForgeSettings:
    """Where pull requests go; no secret here (the credential is given to ForgeClient).

    `api_url` is the API root (https://api.github.com, https://HOST/api/v3 for GitHub
    Enterprise, https://HOST/api/v1 for Gitea), `repo` the upstream's "owner/name",
    `head_owner` the owner of the fork holding the branch (None: the upstream itself)
    and `head_name` the fork's name when it must be given (a fork in the upstream's own
    organisation). Plain http is refused except on loopback: it would send the secret
    in clear; so is a URL carrying a user name or password.
    """

    kind: str
    api_url: str
    repo: str
    head_owner: str | None = None
    head_name: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_ATTEMPTS

    def __post_init__(self) -> None:
        url = urlsplit(self.api_url)
        if self.kind not in KINDS:
            raise _settings_error(f"unknown forge {self.kind!r}: expected github or gitea")
        if not REPO_NAME.fullmatch(self.repo):
            raise _settings_error(f"repo: expected owner/name, not {self.repo!r}")
        if "@" in url.netloc:
            # Not echoed: the part before "@" may be a secret.
            raise _settings_error(
                "api-url: must not carry a user name or password "
                f"(the token comes from ${TOKEN_VARIABLE} or git's credential helper)"
            )
        if not url.hostname or not (
            url.scheme == "https" or (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS)
        ):
            raise _settings_error(f"api-url: expected an https:// URL, not {self.api_url!r}")
        if self.timeout <= 0 or self.max_attempts < 1:
            raise _settings_error("timeout must be positive and max_attempts at least 1")
        self._check_fork()

    def _check_fork(self) -> None:
        fork = "/".join(
            part or "" for part in (self.head_owner, self.head_name) if part is not None
        )
        if self.head_owner is None and self.head_name is None:
            return
        if self.head_owner is None or not FORK_NAME.fullmatch(fork):
            raise _fork_error(fork)
        if (
            self.kind == "gitea"
            and self.head_name
            and self.head_owner.lower() == self.owner.lower()
        ):
            # Gitea reads head "OWNER:branch" as the base repository itself when OWNER
            # owns it (parseCompareInfo): another repository of the same owner cannot
            # be a pull request's head there.
            raise DeliveryError(
                f"forge-fork: Gitea cannot open a pull request on {self.repo} from "
                f"{fork}, another repository of the same owner: use a fork owned by "
                "another account",
                retryable=False,
            )

    @property
    def owner(self) -> str:
        return self.repo.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repo.split("/", 1)[1]

    @property
    def head_repo(self) -> str | None:
        """The head repository's "owner/name" when known (None: a fork named by owner)."""
        if self.head_owner is None:
            return self.repo
        return f"{self.head_owner}/{self.head_name}" if self.head_name else None


@dataclass(frozen=True)
class ForgeResult:
    """The pull request as the forge now has it; `created` is False when updated."""

    number: int
    url: str
    created: bool


def _settings_error(message: str) -> DeliveryError:
    return DeliveryError(f"[delivery] {message}", retryable=False)


def _fork_error(fork: str) -> DeliveryError:
    return DeliveryError(f"forge-fork: expected OWNER or OWNER/NAME, not {fork!r}", retryable=False)


def forge_settings(
    kind: str, delivery: DeliveryConfig, *, fork: str | None = None
) -> ForgeSettings:
    """The settings in `[delivery]` for forge `kind`, with a subsystem's `forge-fork`
    (OWNER or OWNER/NAME); DeliveryError (not retryable) naming the key that is missing
    or malformed."""
    api_url = delivery.get("api-url")
    if not api_url:
        hint = API_URL_EXAMPLES.get(kind, "the forge's API root")
        raise _settings_error(f"api-url: method {kind} needs `api-url =` ({hint})")
    repo = delivery.get("repo")
    if not repo:
        raise _settings_error(f"repo: method {kind} needs `repo = owner/name` (the upstream)")
    if fork is not None and not FORK_NAME.fullmatch(fork):
        raise _fork_error(fork)
    owner, _, name = (fork or "").partition("/")
    return ForgeSettings(
        kind, api_url.rstrip("/"), repo, head_owner=owner or None, head_name=name or None
    )


class ForgeClient:
    """Creates or updates pull requests on one forge repository.

    `sleep` is called between attempts and `clock` tells the time (tests pass fakes);
    retry n of a failure the forge gives no wait for waits `base_delay * 2**(n-1)`
    seconds (at most a minute). Every wait comes out of `budget`, the run's.
    """

    def __init__(
        self,
        settings: ForgeSettings,
        credential: Credential,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        base_delay: float = 1.0,
        budget: RetryBudget | None = None,
    ) -> None:
        self.settings = settings
        self._secret = credential.secret
        self._sleep = sleep
        self._clock = clock
        self._base_delay = base_delay
        self._budget = budget or RetryBudget()
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": "treemerge", **HEADERS[settings.kind]})
        self._session.auth = header_auth(settings.kind, credential)

    def __repr__(self) -> str:
        return f"ForgeClient({self.settings!r})"

    def close(self) -> None:
        """Closes the HTTP connections the client keeps open."""
        self._session.close()

    def deliver(self, message: PullMessage, *, kept_at: str | None = None) -> ForgeResult:
        """The pull request for `message`, opened from `message.head_branch` (pushed
        already): created, or when an open one from the same head to the same base
        exists, updated in place (title and body overwritten), never duplicated; and
        showing `message.head` at its head. `kept_at` says where the whole text is
        kept, for a body that must be cut. DeliveryError (`retryable` as the failure
        warrants) when the forge does not agree."""
        title = escape_text(" ".join(message.subject.split()))  # one line, no controls
        marker = MARKER.format(message.message_id)
        body = pull_body(self.settings.kind, message, marker, kept_at=kept_at)
        existing = self._find_open(message, marker)
        if existing is not None:
            pull, created = self._update(existing, title, body), False
        else:
            pull, created = self._create(message, title, body, marker)
        return self._checked(pull, message, created=created)

    def _path(self, number: int | None = None) -> str:
        owner, name = (quote(part, safe="") for part in (self.settings.owner, self.settings.name))
        return f"/repos/{owner}/{name}/pulls" + (f"/{number}" if number is not None else "")

    def _create(
        self, message: PullMessage, title: str, body: str, marker: str
    ) -> tuple[Json, bool]:
        """The new pull request, or the one that appeared meanwhile, updated (another
        run, or an earlier attempt whose answer was lost: GitHub answers 422, Gitea
        409); and whether it is new."""
        owner, branch = self.settings.head_owner, message.head_branch
        payload = {
            "title": title,
            "body": body,
            "head": f"{owner}:{branch}" if owner else branch,
            "base": message.base_branch,
        }
        if self.settings.kind == "github" and self.settings.head_name:
            # Required when the fork belongs to the upstream's own organisation.
            payload["head_repo"] = f"{owner}/{self.settings.head_name}"
        path = self._path()
        response = self._request("POST", path, payload=payload, accept=(404, 409, 422))
        if response.status_code == 404 and self.settings.kind == "gitea":
            said = self._api_message(response)
            causes = GITEA_CREATE_404.format(
                owner=owner or self.settings.owner, repo=self.settings.repo, branch=branch
            )
            raise self._error(f"POST {path}: HTTP 404 ({said}): {causes}", retryable=False)
        if response.status_code in (409, 422):
            existing = self._find_open(message, marker)
            if existing is not None:
                return self._update(existing, title, body), False
        if not response.ok:
            raise self._rejected("POST", path, response)
        return self._answer(response, dict), True

    def _update(self, pull: Json, title: str, body: str) -> Json:
        path = self._path(self._number(pull))
        answer = self._answer(
            self._request("PATCH", path, payload={"title": title, "body": body}), dict
        )
        return answer if "number" in answer else pull

    def _checked(self, pull: Json, message: PullMessage, *, created: bool) -> ForgeResult:
        """The result, once the forge shows the named commit at the pull's head; a
        DeliveryError saying what it shows instead (the branch moved meanwhile)."""
        number = self._number(pull)
        for pause in HEAD_SETTLE:
            if _head_sha(pull) == message.head or not self._budget.take(pause):
                break
            self._sleep(pause)
            pull = self._answer(self._request("GET", self._path(number)), dict)
        url = str(pull.get("html_url") or "")
        shown = _head_sha(pull)
        if shown != message.head:
            raise self._error(
                f"pull request #{number} {url} shows {shown[:12] or 'no commit'} at its "
                f"head {message.head_branch}, not {message.head[:12]}, the commit tag "
                f"{message.tag} names: the branch moved after treemerge pushed it (does "
                "anyone else push to it?); the next run pushes it again",
                retryable=True,
            )
        return ForgeResult(number, url, created)

    def _find_open(self, message: PullMessage, marker: str) -> Json | None:
        """The open pull request from the message's head branch to its base branch;
        one whose body carries this pull's marker first."""
        owner = self.settings.head_owner or self.settings.owner
        head, base = message.head_branch, message.base_branch
        full = self.settings.head_repo
        pulls = [
            p
            for p in self._open_pulls(f"{owner}:{head}", base)
            if pull_goes(p, owner=owner, repo=full, branch=head, base=base)
        ]
        marked = [p for p in pulls if marker in str(p.get("body") or "")]
        return (marked or pulls)[0] if pulls else None

    def _open_pulls(self, head: str, base: str, state: str = "open") -> Iterator[Json]:
        """The pull requests in `state` (open, or all) from `head` ("owner:branch") to
        `base`, and with Gitea others too (the caller filters with pull_goes)."""
        path = self._path()
        if self.settings.kind == "github":
            # GitHub filters on the server: at most one open pull per head and base.
            params = {"state": state, "head": head, "base": base, "per_page": "100"}
            yield from self._answer(self._request("GET", path, params=params), list)
            return
        # Gitea's list filters on neither: read every page and filter here.
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            params = {"state": state, "page": str(page), "limit": str(GITEA_PAGE_SIZE)}
            response = self._request("GET", path, params=params)
            pulls = self._answer(response, list)
            yield from pulls
            seen += len(pulls)
            if not pulls or _last_page(response, seen):
                return

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        payload: Json | None = None,
        accept: tuple[int, ...] = (),
    ) -> requests.Response:
        """The answer to one API call, a 2xx or one of `accept`, after waiting out rate
        limits and retrying what may mend (network errors, timeouts, 5xx);
        DeliveryError otherwise."""
        attempts = self.settings.max_attempts
        problem = ""
        for attempt in range(1, attempts + 1):
            self._await_quiet(method, path, problem)
            try:
                response = self._session.request(
                    method,
                    self.settings.api_url + path,
                    params=params,
                    json=payload,
                    timeout=self.settings.timeout,
                )
            except requests.RequestException as exc:
                problem, wait = self._network_problem(exc), None
            else:
                if response.ok or response.status_code in accept:
                    return response
                problem, wait = self._retryable_problem(method, path, response, attempt)
            if attempt < attempts and wait is None:
                backoff = min(self._base_delay * 2 ** (attempt - 1), MAX_BACKOFF)
                self._wait(backoff, f"{method} {path}: {problem}")
        raise self._error(
            f"{method} {path}: {problem} (gave up after {attempts} attempts)", retryable=True
        )

    def _wait(self, seconds: float, problem: str) -> None:
        """Sleep `seconds` out of the run's budget, or raise when too few are left."""
        if not self._budget.take(seconds):
            raise self._error(
                f"{problem}; not retried: waiting {seconds:.0f} s is more than this run may "
                "still spend waiting on the forge; the next run retries",
                retryable=True,
            )
        self._sleep(seconds)

    def _await_quiet(self, method: str, path: str, problem: str) -> None:
        """Wait until the time a rate limit named (in this delivery or an earlier one of
        the run) has passed: never a request before it."""
        until = self._budget.quiet_until.get(self.settings.api_url, 0.0)
        left = until - self._clock()
        if left > 0:
            why = problem or f"not sent: the forge asked for no request before {_utc(until)}"
            self._wait(left, f"{method} {path}: {why}")

    def _network_problem(self, exc: requests.RequestException) -> str:
        """What went wrong on the wire; raises for what no retry can mend (a bad URL)."""
        if isinstance(exc, requests.Timeout):
            return f"no answer within {self.settings.timeout:g} s"
        if not isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            raise self._error(f"{type(exc).__name__}: {exc}", retryable=False) from None
        # urllib3 nests the useful part ("[Errno 111] Connection refused") deep inside.
        reason = getattr(exc.args[0] if exc.args else None, "reason", None) or exc
        host = urlsplit(self.settings.api_url).netloc
        return f"cannot reach {host}: {str(reason).rsplit('): ', 1)[-1]}"

    def _retryable_problem(
        self, method: str, path: str, response: requests.Response, attempt: int
    ) -> tuple[str, float | None]:
        """(what went wrong, the wait the forge asked for, or None to back off) for an
        answer worth another attempt, the wait noted for every request of the run;
        raises DeliveryError for an answer that is not."""
        status = response.status_code
        wait = self._asked_wait(response, attempt)
        if wait is None and status < 500:
            raise self._rejected(method, path, response)
        said = self._api_message(response)
        problem = f"HTTP {status}" + (f": {said}" if said else "")
        if wait is None:
            return problem, None
        until = self._clock() + wait
        quiet = self._budget.quiet_until
        quiet[self.settings.api_url] = max(quiet.get(self.settings.api_url, 0.0), until)
        return f"{problem} (no request before {_utc(until)})", wait

    def _asked_wait(self, response: requests.Response, attempt: int) -> float | None:
        """How long the forge asks to wait before the next request, None when it does
        not (a 4xx is then final, a 5xx backed off): Retry-After; with no requests left
        (GitHub's primary limit, 403 or 429), until x-ratelimit-reset; for a 429 or a
        secondary limit's 403 without either, a minute, doubled on each attempt."""
        status, headers, now = response.status_code, response.headers, self._clock()
        retry_after = _retry_after(response, now)
        limited = status in (403, 429)
        if limited and headers.get("x-ratelimit-remaining") == "0":
            reset = headers.get("x-ratelimit-reset", "")
            until_reset = int(reset) - now if reset.isdigit() else LIMIT_WAIT
            return max(retry_after or 0.0, until_reset, 1.0)
        if retry_after is not None and (limited or status >= 500):
            return retry_after
        if status == 429 or (status == 403 and SECONDARY_LIMIT.search(self._api_message(response))):
            return LIMIT_WAIT * 2.0 ** (attempt - 1)
        return None

    def _rejected(self, method: str, path: str, response: requests.Response) -> DeliveryError:
        """The error for an answer no retry changes: the server's words, then what to
        check (for 401, 403 and 404)."""
        status = response.status_code
        said = self._api_message(response)
        advice = REJECTED.get(status, "").format(repo=self.settings.repo, api=self.settings.api_url)
        if advice:
            text = f"HTTP {status} ({said}): {advice}" if said else f"HTTP {status}: {advice}"
        else:
            text = f"HTTP {status}: {said or 'rejected'}"
        return self._error(f"{method} {path}: {text}", retryable=False)

    def _api_message(self, response: requests.Response) -> str:
        """The API's own explanation: "message", then each of "errors" (GitHub's
        validation details often carry only `field` and `code`)."""
        answer = _json(response)
        if not isinstance(answer, dict):
            return ""
        message = str(answer.get("message") or "").strip()
        errors = answer.get("errors")
        details = [_detail(e) for e in errors] if isinstance(errors, list) else []
        details = [d for d in details if d and d != message]
        return ": ".join(p for p in (message, "; ".join(details)) if p)

    def _error(self, text: str, *, retryable: bool) -> DeliveryError:
        """A DeliveryError whose text is fit to show: secret redacted, control
        characters escaped (servers and libraries wrote parts of it), not too long."""
        text = escape_text(f"{self.settings.kind}: {text}".replace(self._secret, "<token>"))
        short = text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
        return DeliveryError(short, retryable=retryable)

    def _answer(self, response: requests.Response, kind: type[Any]) -> Any:
        """The JSON answer, which must be a `kind` (dict or list of dicts)."""
        answer = _json(response)
        if not isinstance(answer, kind):
            where = f"{response.request.method} {urlsplit(response.request.url or '').path}"
            raise self._error(
                f"{where}: HTTP {response.status_code} without the JSON expected: "
                "is api-url the API root?",
                retryable=False,
            )
        return [item for item in answer if isinstance(item, dict)] if kind is list else answer

    def _number(self, pull: Json) -> int:
        number = pull.get("number")
        if not isinstance(number, int):
            raise self._error(
                "the forge answered with a pull request without a number", retryable=False
            )
        return number


def pull_goes(pull: Json, *, owner: str, repo: str | None, branch: str, base: str) -> bool:
    """Whether `pull` goes from `branch` of repository `repo` (when known, else of
    `owner`'s fork) to `base`. Both forges give the branch as head "ref"; Gitea gives
    refs/pull/N/head once the branch is gone, but keeps the branch as "label". Logins
    and repository names compare without case, as both forges do."""
    head = pull.get("head") or {}
    if (pull.get("base") or {}).get("ref") != base:
        return False
    if branch not in (head.get("ref"), head.get("label")):
        return False
    head_repo = head.get("repo") or {}  # null once the head repository is deleted
    if repo is not None:
        return str(head_repo.get("full_name") or "").lower() == repo.lower()
    login = (head_repo.get("owner") or {}).get("login")
    return isinstance(login, str) and login.lower() == owner.lower()


def _head_sha(pull: Json) -> str:
    sha = (pull.get("head") or {}).get("sha")
    return sha if isinstance(sha, str) else ""


def _json(response: requests.Response) -> Any:
    """The answer's JSON; None when it is not JSON (an HTML error page, nothing)."""
    try:
        return response.json()
    except ValueError:
        return None


def _detail(error: object) -> str:
    """One of GitHub's "errors": "field: message (code)", each part when present."""
    if not isinstance(error, dict):
        return str(error or "")
    message, code, where = (str(error.get(k) or "") for k in ("message", "code", "field"))
    text = message or code
    if message and code and code != "custom":
        text += f" ({code})"
    return f"{where}: {text}" if where and text else text


def _last_page(response: requests.Response, seen: int) -> bool:
    """Whether Gitea says no page follows: X-Total-Count reached, or a Link header
    without "next". With neither, the next (empty) page tells."""
    total = response.headers.get("X-Total-Count", "")
    if total.isdigit() and seen >= int(total):
        return True
    return "Link" in response.headers and "next" not in response.links


def _retry_after(response: requests.Response, now: float) -> float | None:
    """Retry-After in seconds; the header holds either seconds or an HTTP date."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
