"""The fake forge's rules: what GitHub and Gitea accept and refuse for pull requests
and their comments.

Each rule cites where it is documented: GitHub's REST reference
(docs.github.com/en/rest/pulls/pulls, "Create a pull request" and "Update a pull
request", whose `state` closes one; docs.github.com/en/rest/issues/comments, "List
issue comments" and "Create an issue comment", a pull request being an issue;
docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api for the shape
of a 422) and Gitea's API (routers/api/v1/repo/pull.go and issue_comment.go, whose
functions are named below; services/context/api.go for the shape of its errors;
services/auth for its Authorization schemes). The rules run under the server's lock.
"""

from __future__ import annotations

import base64
import binascii
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Answer = tuple[int, dict[str, str], Any]

BOT = "nova-bot"  # the account the test token belongs to
BODY_LIMIT = 65_536  # GitHub: "body is too long (maximum is 65536 characters)"
GITHUB_DOCS = "https://docs.github.com/rest/pulls/pulls"
GITEA_SWAGGER = "https://gitea.example/api/swagger"
UNAUTHORIZED = {"github": "Bad credentials", "gitea": "invalid username, password or token"}
MUST_BE_BRANCHES = "Invalid PullRequest: base and head must be branches"


@dataclass
class Repo:
    """A forge repository; `git_dir` the real repository behind it (None: unknown)."""

    full_name: str
    git_dir: Path | None = None
    fork_of: str | None = None  # full name of the repository it is a fork of
    writers: set[str] = field(default_factory=set)  # logins, lower case
    gone: bool = False  # deleted

    @property
    def owner(self) -> str:
        return self.full_name.partition("/")[0]

    @property
    def name(self) -> str:
        return self.full_name.partition("/")[2]


@dataclass
class Comment:
    id: int
    body: str
    poster: str


@dataclass
class Pull:
    number: int
    repo: str  # the base repository's full name
    head_repo: str  # the head repository's full name
    head: str  # its branch
    base: str
    title: str
    body: str
    poster: str
    state: str = "open"
    sha: str | None = None  # the head commit last seen
    comments: list[Comment] = field(default_factory=list)

    @property
    def head_owner(self) -> str:
        return self.head_repo.partition("/")[0]


def branch_sha(git_dir: Path, branch: str, kind: str = "heads") -> str | None:
    """The commit `refs/<kind>/<branch>` names in `git_dir`, read as the forge would."""
    done = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "-q", "--verify",
         f"refs/{kind}/{branch}^{{commit}}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or None if done.returncode == 0 else None


def github_invalid(*errors: dict[str, str]) -> Answer:
    """GitHub's 422: "Validation Failed" with each error's resource, field and code
    (and a message for code "custom")."""
    return 422, {}, {"message": "Validation Failed", "errors": list(errors),
                     "documentation_url": GITHUB_DOCS}  # fmt: skip


def gitea_error(status: int, message: str) -> Answer:
    """Gitea's APIError: a message and the swagger URL (services/context/api.go)."""
    return status, {}, {"message": message, "url": GITEA_SWAGGER}


class Rules:
    """Repositories, pull requests and the rules for them (FakeForge serves them)."""

    token: str
    passwords: dict[str, str]

    def __init__(self, root: Path | None) -> None:
        self.root = root  # where a repository's git directory is looked for (not strict)
        self.strict = False
        self.gitea_max_limit = 50  # Gitea's MAX_RESPONSE_ITEMS
        self.repos: dict[str, Repo] = {}
        self._pulls: dict[tuple[str, str], list[Pull]] = {}

    def add_repo(
        self,
        full_name: str,
        git_dir: Path | None = None,
        *,
        fork_of: str | None = None,
        writers: tuple[str, ...] = (),
    ) -> Repo:
        repo = Repo(full_name, git_dir, fork_of, {w.lower() for w in writers})
        self.repos[full_name.lower()] = repo
        return repo

    def repo(self, full_name: str) -> Repo | None:
        # Logins and repository names are case-insensitive on both forges.
        return self.repos.get(full_name.lower())

    def _login(self, flavour: str, header: str) -> str | None:
        """Whose request it is. GitHub takes "Bearer TOKEN" or "token TOKEN"
        (docs.github.com/en/rest/authentication/authenticating-to-the-rest-api); Gitea
        those too, and Basic with the account's password or a token as the password
        (services/auth/basic.go: a token is looked up first, whatever the user name)."""
        scheme, _, value = header.partition(" ")
        if scheme in ("Bearer", "token") and value == self.token:
            return BOT
        if flavour != "gitea" or scheme != "Basic":
            return None
        try:
            user, _, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if secret == self.token:
            return BOT
        login = next((name for name in self.passwords if name.lower() == user.lower()), None)
        return login if login is not None and self.passwords[login] == secret else None

    def route(self, flavour: str, method: str, path: str, recorded: Any, login: str) -> Answer:
        parts = path.strip("/").split("/")
        if len(parts) == 6 and parts[0] == "repos" and parts[3:6:2] == ["issues", "comments"]:
            return self._comments(flavour, method, parts, recorded, login)
        shape = len(parts) in (4, 5) and parts[0] == "repos" and parts[3] == "pulls"
        base = self.repo(f"{parts[1]}/{parts[2]}") if shape else None
        number = int(parts[4]) if len(parts) == 5 and parts[4].isdigit() else None
        pulls = self._pulls.setdefault((flavour, base.full_name), []) if base else []
        pull = next((p for p in pulls if p.number == number), None)
        if base is None or base.gone or (len(parts) == 5 and pull is None):
            return 404, {}, {"message": "Not Found"}
        body = recorded.body or {}
        if pull is None:
            if method == "GET":
                return self._list(flavour, pulls, recorded)
            return self._create(flavour, base, pulls, body, login)
        if method == "PATCH":
            return self._edit(flavour, base, pull, body, login)
        return 200, {}, self._view(flavour, pull)

    def _comments(
        self, flavour: str, method: str, parts: list[str], recorded: Any, login: str
    ) -> Answer:
        """An issue's comments: GitHub's "List issue comments" (paged: per_page at most
        100, page) and "Create an issue comment" (201; `body` required, else 422);
        Gitea's issueGetComments (the whole list) and issueCreateComment (201; 422
        "[Body]: Required"). A pull request is an issue of the same number; an issue
        that is not there is 404 (this fake keeps no other issues)."""
        base = self.repo(f"{parts[1]}/{parts[2]}")
        pulls = self._pulls.get((flavour, base.full_name), []) if base else []
        pull = next((p for p in pulls if str(p.number) == parts[4]), None)
        if base is None or base.gone or pull is None:
            return 404, {}, {"message": "Not Found"}
        if method == "GET":
            shown = pull.comments
            if flavour == "github":
                size = min(int(recorded.query.get("per_page", "30")), 100)
                page = int(recorded.query.get("page", "1"))
                shown = shown[(page - 1) * size : page * size]
            return 200, {}, [_comment_view(flavour, pull, c) for c in shown]
        body = (recorded.body or {}).get("body")
        if not body:
            if flavour == "github":
                return github_invalid({"resource": "IssueComment", "code": "missing_field",
                                       "field": "body"})  # fmt: skip
            return gitea_error(422, "[Body]: Required")
        comment = Comment(sum(len(p.comments) for p in pulls) + 1, str(body), login)
        pull.comments.append(comment)
        return 201, {}, _comment_view(flavour, pull, comment)

    def _list(self, flavour: str, pulls: list[Pull], recorded: Any) -> Answer:
        query = recorded.query
        state = query.get("state", "open")
        chosen = [p for p in pulls if state in ("all", p.state)]
        if flavour == "github":
            # GitHub filters on head ("user:ref-name", the user case-insensitive) and base.
            if "head" in query:
                user, _, branch = query["head"].partition(":")
                chosen = [
                    p for p in chosen if (p.head_owner.lower(), p.head) == (user.lower(), branch)
                ]
            if "base" in query:
                chosen = [p for p in chosen if p.base == query["base"]]
            size = min(int(query.get("per_page", "30")), 100)
            page = int(query.get("page", "1"))
            shown = chosen[(page - 1) * size : page * size]
            return 200, {}, [self._view(flavour, p) for p in shown]
        # Gitea (ListPullRequests) filters on neither; pages with X-Total-Count and Link.
        size = min(int(query.get("limit", "30")), self.gitea_max_limit)
        page = int(query.get("page", "1"))
        shown = chosen[(page - 1) * size : page * size]
        headers = {"X-Total-Count": str(len(chosen))}
        if page * size < len(chosen):
            link = f"http://gitea.example{recorded.path}?page={page + 1}&limit={size}"
            headers["Link"] = f'<{link}>; rel="next"'
        return 200, headers, [self._view(flavour, p) for p in shown]

    def _create(
        self, flavour: str, base: Repo, pulls: list[Pull], body: dict[str, Any], login: str
    ) -> Answer:
        refused = _refuse_form(flavour, body)
        if refused is not None:
            return refused
        owner, _, branch = str(body["head"]).rpartition(":")
        onto = str(body["base"])
        found = self._head_repo(flavour, base, owner or base.owner, body.get("head_repo"))
        if not isinstance(found, Repo):
            return found
        sha = self.branch(found, branch)
        refused = (
            self._refuse_refs(flavour, base, found, branch, sha=sha, onto=onto)
            or _too_long(flavour, body)
            or _duplicate(flavour, pulls, found, branch, onto)
        )
        if refused is not None:
            return refused
        pull = Pull(
            len(pulls) + 1, base.full_name, found.full_name, branch, onto,
            str(body["title"]), str(body.get("body") or ""), login, sha=sha,
        )  # fmt: skip
        pulls.append(pull)
        return 201, {}, self._view(flavour, pull)

    def _refuse_refs(
        self, flavour: str, base: Repo, head: Repo, branch: str, *, sha: str | None, onto: str
    ) -> Answer | None:
        """GitHub: head and base must be branches ("The name of the branch where your
        changes are implemented", "an existing branch on the current repository"), with
        commits between them. Gitea (parseCompareInfo): 404 for an unknown ref, then
        "base and head must be branches" (CreatePullRequest) for a tag."""
        if sha is None:
            tag = flavour == "gitea" and head.git_dir and branch_sha(head.git_dir, branch, "tags")
            return refusal(flavour, "head", (422, MUST_BE_BRANCHES) if tag else (404, "not found"))
        if self.strict and base.git_dir and branch_sha(base.git_dir, onto) is None:
            return refusal(flavour, "base", (404, "not found"))
        if flavour == "github" and head is base and branch == onto:
            message = f"No commits between {onto} and {branch}"
            return github_invalid({"resource": "PullRequest", "code": "custom", "message": message})
        return None

    def _head_repo(self, flavour: str, base: Repo, owner: str, head_repo: Any) -> Repo | Answer:
        """The repository holding the head branch, or the forge's refusal. GitHub: the
        base itself for the base's owner, else `owner`'s fork of it, or `head_repo`
        ("required for cross-repository pull requests if both repositories are owned
        by the same organization"). Gitea (parseCompareInfo): 404 "GetUserByName" for
        an unknown owner, the base for its owner, else the owner's fork or 404
        "GetBaseRepo"; it has no head_repo."""
        github = flavour == "github"
        if github and isinstance(head_repo, str):
            found = self.repo(head_repo)
            if found is not None and found.owner.lower() != owner.lower():
                found = None
        elif owner.lower() == base.owner.lower():
            found = base
        else:
            found = next((r for r in self.repos.values() if _forks(r, base, owner)), None)
            if found is None and not self.strict:
                found = self.add_repo(f"{owner}/{base.name}", fork_of=base.full_name)
        if not github and found is None and not self._known_owner(owner):
            return gitea_error(404, "GetUserByName")
        in_network = found is base or (found is not None and _forks(found, base, found.owner))
        if found is None or found.gone or not in_network:
            return refusal(flavour, "head", (404, "GetBaseRepo"))
        return found

    def _known_owner(self, owner: str) -> bool:
        names = {r.owner.lower() for r in self.repos.values()} | {p.lower() for p in self.passwords}
        return owner.lower() in names

    def _edit(
        self, flavour: str, base: Repo, pull: Pull, body: dict[str, Any], login: str
    ) -> Answer:
        # Gitea (EditPullRequest): only the poster or a writer of the base repository
        # may edit; a bare 403 otherwise. GitHub ("Update a pull request"): the same
        # people, with "Pull requests" write permission.
        if login.lower() not in {pull.poster.lower(), base.owner.lower(), *base.writers}:
            if flavour == "github":
                return 403, {}, {"message": "Resource not accessible by personal access token"}
            return 403, {}, None
        too_long = _too_long(flavour, body)
        if too_long is not None:
            return too_long
        # GitHub: `state` "open" or "closed" (422 otherwise); Gitea (EditPullRequest):
        # "closed" closes, "open" reopens.
        if body.get("state", pull.state) not in ("open", "closed"):
            if flavour == "github":
                return github_invalid({"resource": "PullRequest", "field": "state",
                                       "code": "invalid"})  # fmt: skip
            return gitea_error(422, "[State]: invalid")
        pull.state = body.get("state", pull.state)
        pull.title = body.get("title", pull.title)
        pull.body = body.get("body", pull.body)
        # Gitea's edit answers 201 ("TODO this should be 200, not 201").
        return (200 if flavour == "github" else 201), {}, self._view(flavour, pull)

    def branch(self, repo: Repo, branch: str) -> str | None:
        """The commit `branch` of `repo` holds; a repository without a git directory
        (not strict) takes the first one under `root` that has the branch."""
        if repo.git_dir is None and not self.strict and self.root is not None:
            repo.git_dir = next(
                (d for d in _git_dirs(self.root) if branch_sha(d, branch) is not None), None
            )
        return branch_sha(repo.git_dir, branch) if repo.git_dir else None

    def _view(self, flavour: str, pull: Pull) -> dict[str, Any]:
        """The pull request as the forge's API shows it (the fields treemerge reads).
        The head follows its branch (its last commit is kept once the branch is gone);
        `head.repo` is null once the head repository is deleted, and Gitea then gives
        refs/pull/N/head as the head's ref."""
        github = flavour == "github"
        base = self.repo(pull.repo)
        head_repo = self.repo(pull.head_repo)
        gone = head_repo is None or head_repo.gone
        if head_repo is not None and not gone and head_repo.git_dir is not None:
            pull.sha = branch_sha(head_repo.git_dir, pull.head) or pull.sha
        kind = "pull" if github else "pulls"
        ref = f"refs/pull/{pull.number}/head" if gone and not github else pull.head
        return {
            "number": pull.number,
            "html_url": f"https://{flavour}.example/{pull.repo}/{kind}/{pull.number}",
            "state": pull.state,
            "title": pull.title,
            "body": pull.body,
            "user": {"login": pull.poster},
            "head": {
                "ref": ref,
                "sha": pull.sha,
                # GitHub's label is "owner:branch", Gitea's the bare branch.
                "label": f"{pull.head_owner}:{pull.head}" if github else pull.head,
                "repo": None if gone or head_repo is None else _repo_view(head_repo),
            },
            "base": {"ref": pull.base, "repo": _repo_view(base) if base else None},
        }


def refusal(flavour: str, field: str, gitea: tuple[int, str]) -> Answer:
    """GitHub's 422 for an invalid `field`, or Gitea's answer `gitea`."""
    if flavour == "github":
        return github_invalid({"resource": "PullRequest", "field": field, "code": "invalid"})
    return gitea_error(*gitea)


def _refuse_form(flavour: str, body: dict[str, Any]) -> Answer | None:
    if not (body.get("title") and body.get("head") and body.get("base")):
        if flavour == "github":
            return github_invalid({"resource": "PullRequest", "code": "missing_field"})
        return gitea_error(422, "[Head] [Base] [Title]: Required")
    if flavour == "gitea" and body["head"] == body["base"]:
        # CreatePullRequest: form.Head == form.Base.
        message = "Invalid PullRequest: There are no changes between the head and the base"
        return gitea_error(422, message)
    return None


def _too_long(flavour: str, body: dict[str, Any]) -> Answer | None:
    """GitHub refuses a body of more than 65,536 characters (create and update)."""
    if flavour == "github" and len(str(body.get("body") or "")) > BODY_LIMIT:
        message = f"body is too long (maximum is {BODY_LIMIT} characters)"
        return github_invalid(
            {"resource": "Issue", "code": "custom", "field": "body", "message": message}
        )
    return None


def _duplicate(
    flavour: str, pulls: list[Pull], head: Repo, branch: str, onto: str
) -> Answer | None:
    """GitHub: 422 "A pull request already exists for user:branch."; Gitea
    (CreatePullRequest, GetUnmergedPullRequest): 409."""
    wanted = (head.full_name.lower(), branch, onto)
    if not any(
        p.state == "open" and (p.head_repo.lower(), p.head, p.base) == wanted for p in pulls
    ):
        return None
    if flavour == "github":
        message = f"A pull request already exists for {head.owner}:{branch}."
        return github_invalid({"resource": "PullRequest", "code": "custom", "message": message})
    message = "pull request already exists for these targets"
    return gitea_error(409, f"{message} [head_branch: {branch}, base_branch: {onto}]")


def _forks(repo: Repo, base: Repo, owner: str) -> bool:
    """Whether `repo` is `owner`'s fork of `base`."""
    fork_of = (repo.fork_of or "").lower()
    return repo.owner.lower() == owner.lower() and fork_of == base.full_name.lower()


def _comment_view(flavour: str, pull: Pull, comment: Comment) -> dict[str, Any]:
    kind = "pull" if flavour == "github" else "pulls"
    return {
        "id": comment.id,
        "html_url": f"https://{flavour}.example/{pull.repo}/{kind}/{pull.number}"
        f"#issuecomment-{comment.id}",
        "body": comment.body,
        "user": {"login": comment.poster},
    }


def _repo_view(repo: Repo) -> dict[str, Any]:
    return {"full_name": repo.full_name, "name": repo.name, "owner": {"login": repo.owner}}


def _git_dirs(root: Path) -> list[Path]:
    """Every git directory under `root` (bare repositories and checkouts' .git)."""
    return sorted(
        head.parent
        for head in root.rglob("HEAD")
        if (head.parent / "objects").is_dir() and (head.parent / "refs").is_dir()
    )
