"""Notices on a forge: a comment on the pull request a notice concerns, and for a merged
reply that pull request closed, each done once.

The pull request is found as ForgeClient finds it to update it (from the branch
treemerge opened it from, `forge_branch`, to the upstream's branch), open or closed,
and must carry the marker of the pull the notice answers: a pull request that now shows
another pull of the same tree is not that pull's, and is neither commented nor closed.

A comment carries a marker of its own, the notice's Message-Id. Before commenting, the
pull request's comments are read: one carrying the marker is the work of a run that
died after commenting, and is not made again.

The endpoints, as documented: GitHub's "List issue comments" and "Create an issue
comment" (GET and POST /repos/{owner}/{repo}/issues/{issue_number}/comments,
docs.github.com/en/rest/issues/comments: a pull request is an issue) and "Update a pull
request" with `state: closed` (PATCH /repos/{owner}/{repo}/pulls/{pull_number},
docs.github.com/en/rest/pulls/pulls); Gitea's issueGetComments, issueCreateComment
(routers/api/v1/repo/issue_comment.go) and repoEditPullRequest with `state: closed`
(routers/api/v1/repo/pull.go).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from treemerge.core.pullreq import md_block
from treemerge.deliver import NoticeMessage
from treemerge.deliver.forge import MARKER, MAX_PAGES, ForgeClient, Json, pull_goes

NOTICE_MARKER = "<!-- treemerge-notice: {} -->"
GITHUB_PAGE_SIZE = 100


@dataclass(frozen=True)
class PullTarget:
    """The forge pull request a notice concerns: opened from `head_branch` to
    `base_branch` for the pull whose Message-Id is `message_id`."""

    head_branch: str
    base_branch: str
    message_id: str


@dataclass(frozen=True)
class Commented:
    """Where the comment is, and whether the pull request was closed by this call."""

    url: str
    closed: bool


class NoticeClient(ForgeClient):
    """A ForgeClient that also comments on pull requests and closes them."""

    def comment(
        self, message: NoticeMessage, target: PullTarget, *, close: bool
    ) -> Commented | None:
        """The notice as a comment on the pull request of `target` (made once), then,
        with `close`, that pull request closed when still open; None when the forge
        has no pull request of that pull (nothing is done then)."""
        pull = self._find_pull(target)
        if pull is None:
            return None
        number = self._number(pull)
        url = self._comment_once(number, message)
        closing = close and pull.get("state") == "open"
        if closing:
            self._request("PATCH", self._path(number), payload={"state": "closed"})
        return Commented(url, closing)

    def _find_pull(self, target: PullTarget) -> Json | None:
        """The pull request (open first, else closed) carrying the pull's marker."""
        owner = self.settings.head_owner or self.settings.owner
        head, base = target.head_branch, target.base_branch
        marker = MARKER.format(target.message_id)
        found = [
            pull
            for pull in self._open_pulls(f"{owner}:{head}", base, state="all")
            if pull_goes(pull, owner=owner, repo=self.settings.head_repo, branch=head, base=base)
            and marker in str(pull.get("body") or "")
        ]
        found.sort(key=lambda pull: pull.get("state") != "open")
        return found[0] if found else None

    def _comment_once(self, number: int, message: NoticeMessage) -> str:
        """The URL of the notice's comment on pull request `number`, made unless there."""
        marker = NOTICE_MARKER.format(message.message_id)
        for comment in self._comments(number):
            if marker in str(comment.get("body") or ""):
                return str(comment.get("html_url") or "")
        body = f"{md_block(message.body_text.rstrip())}\n\n{marker}\n"
        answer = self._answer(
            self._request("POST", self._comments_path(number), payload={"body": body}), dict
        )
        return str(answer.get("html_url") or "")

    def _comments(self, number: int) -> list[Json]:
        """Every comment of issue `number` (GitHub in pages; Gitea's list is whole)."""
        path = self._comments_path(number)
        if self.settings.kind != "github":
            return list(self._answer(self._request("GET", path), list))
        found: list[Json] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"per_page": str(GITHUB_PAGE_SIZE), "page": str(page)}
            comments = self._answer(self._request("GET", path, params=params), list)
            found += comments
            if len(comments) < GITHUB_PAGE_SIZE:
                break
        return found

    def _comments_path(self, number: int) -> str:
        owner, name = (quote(part, safe="") for part in (self.settings.owner, self.settings.name))
        return f"/repos/{owner}/{name}/issues/{number}/comments"
