"""`request-pull` on real trees: git's blocks byte for byte, tags, dry runs, records."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.git.project import Project
from tests.git.test_next_left_out import replace_with_unrelated_history
from tests.helpers import git

PNG = bytes(range(256)) * 4  # binary content


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Project:
    proj = Project(tmp_path, capsys)
    assert proj.run("tree", "create", "net").code == 0
    return proj


def workspace(project: Project) -> Path:
    return project.root / ".treemerge" / "repo.git"


def git_request_pull(project: Project, base: str, tag: str) -> str:
    """What `git request-pull` itself prints for the same pull."""
    done = subprocess.run(
        ["git", "request-pull", base, str(project.root / "trees" / "net.git"), tag],
        cwd=workspace(project), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def request(project: Project, *args: str) -> Any:
    result = project.run("request-pull", "net", "--format", "json", *args)
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


def rich_history(project: Project) -> None:
    """Work with a topic merge, a rename and a binary file."""
    work = project.clone("net")
    project.commit("net", {"net/core.c": "core v2\n"}, "net: core v2")
    git(work, "checkout", "-q", "-b", "topic", "HEAD~1")
    (work / "net" / "logo.png").write_bytes(PNG)
    git(work, "add", "net/logo.png")
    git(work, "commit", "-q", "-m", "net: add a logo")
    git(work, "mv", "net/wireless/wifi.c", "net/wireless/wlan.c")
    git(work, "commit", "-q", "-m", "net: rename wifi to wlan")
    git(work, "checkout", "-q", "for-main")
    git(work, "merge", "-q", "--no-ff", "-m", "Merge branch 'topic'", "topic")
    git(work, "push", "-q", "origin", "for-main")
    project.run("sync")


def test_git_blocks_are_byte_identical_to_git_request_pull(project: Project) -> None:
    rich_history(project)
    document = request(project)
    text = str(document["request_pull"])
    expected = git_request_pull(project, str(document["base"]), str(document["tag"]))
    assert text == expected
    assert "net/logo.png" in str(document["diffstat"])
    assert "Bin 0 -> 1024 bytes" in str(document["diffstat"])
    assert "rename net/wireless/{wifi.c => wlan.c} (100%)" in str(document["diffstat"])
    # ...and the text form contains it unchanged, then the report.
    plain = project.run("request-pull", "net").out
    assert plain.startswith(f"Subject: [GIT PULL] NETWORKING for main {document['tag'][-10:]}\n\n")
    assert expected in plain
    assert "treemerge report" in plain.split(expected, 1)[1]


def test_shortlog_and_diffstat_match_git_with_several_merge_bases(project: Project) -> None:
    """Criss-cross history: the diffstat is taken against a temporary merge and says so."""
    work = project.clone("net")
    project.commit("net", {"net/core.c": "net 1\n"}, "net: one")
    project.commit("main", {"drivers/char.c": "main 1\n"}, "main: one")
    git(project.main, "tag", "-a", "-m", "1.1", "v1.1")
    net_one = git(work, "rev-parse", "HEAD").strip()
    # Both sides merge each other's first commit: two merge bases.
    project.run("tree", "update", "net", "--to", "v1.1", "--reason", "criss-cross for the test")
    git(project.main, "pull", "-q", "--no-rebase", "--no-edit",
        str(project.root / "trees" / "net.git"), net_one)  # fmt: skip
    git(project.main, "fetch", "-q", str(project.root / "trees" / "net.git"), "for-main")
    git(work, "pull", "-q", "--no-rebase")
    project.commit("net", {"net/core.c": "net 2\n"}, "net: two")
    project.commit("main", {"README": "main 2\n"}, "main: two")
    project.run("sync")
    ws = workspace(project)
    bases = git(ws, "merge-base", "--all", "refs/trees/main", "refs/trees/net").split()
    if len(bases) < 2:
        pytest.skip("the history did not criss-cross")
    document = request(project)
    assert document["messy_diffstat"] is True
    base, head = str(document["base"]), str(document["head"])
    assert document["shortlog"] == git(ws, "shortlog", f"^{base}", head)
    merged = git(ws, "merge-tree", "--write-tree", "refs/trees/main", head).split()[0]
    expected = git(ws, "diff", "-M", "--stat", "--summary", "refs/trees/main", merged)
    assert document["diffstat"] == expected
    assert "temporary merge" in project.run("request-pull", "net").out


def test_tag_is_created_pushed_and_reused(project: Project) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    first = request(project)
    tag = str(first["tag"])
    assert tag.startswith("net-for-main-")
    tree = project.root / "trees" / "net.git"
    assert git(tree, "rev-parse", f"{tag}^{{}}").strip() == first["head"]
    assert git(tree, "cat-file", "-t", tag).strip() == "tag"
    second = request(project)
    assert second["tag"] == tag
    assert git(tree, "tag", "-l", "net-for-main-*").split() == [tag]
    # New work on the same day gets a new tag with a serial number.
    project.commit("net", {"net/core.c": "y\n"}, "net: y")
    project.run("sync")
    assert str(request(project)["tag"]) == f"{tag}-2"


def test_dry_run_changes_nothing_anywhere(project: Project) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    tree = project.root / "trees" / "net.git"
    before = (git(tree, "show-ref"), git(workspace(project), "show-ref"))
    result = project.run("request-pull", "net", "--dry-run", "--send")
    assert result.code == 0, result.err
    assert "[GIT PULL] NETWORKING for main" in result.out
    assert (git(tree, "show-ref"), git(workspace(project), "show-ref")) == before
    assert not (project.root / ".treemerge" / "records.db").exists()
    assert not (project.root / ".treemerge" / "pulls").exists()


def test_send_records_once_and_a_rerun_sends_nothing_more(project: Project) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    sent = project.run("request-pull", "net", "--send")
    assert sent.code == 0, sent.err
    files = sorted(p.name for p in (project.root / ".treemerge" / "pulls").iterdir())
    tag = files[0].rsplit(".", 1)[0]
    assert files == [f"{tag}.json", f"{tag}.md", f"{tag}.txt"]
    again = project.run("request-pull", "net", "--send")
    assert again.code == 0
    assert "was already sent" in again.err
    pulls = project.json("prs")["pulls"]
    assert [(p["subsystem"], p["state"], p["attempts"], p["tag"]) for p in pulls] == [
        ("net", "sent", 1, tag)
    ]
    rows = {row["tree"]: row for row in project.json("status")["trees"]}
    assert rows["net"]["last_pull_request"]["state"] == "sent"
    assert rows["net"]["last_pull_request"]["tag"] == tag


def test_a_killed_send_is_finished_under_the_same_message_id(project: Project) -> None:
    from treemerge.store.records import Records

    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    # The run that died: the pull was recorded as sending, then nothing more.
    document = request(project)
    store = Records(project.root / ".treemerge" / "records.db")
    record = store.prepare(subsystem="net", upstream="main", base=str(document["base"]),
                           head=str(document["head"]), tag=str(document["tag"]),
                           message_id="<kept@example.org>")  # fmt: skip
    store.update(record.id, "sending", method="none")
    store.close()
    assert project.run("request-pull", "net", "--send").code == 0
    pulls = project.json("prs")["pulls"]
    assert len(pulls) == 1
    assert (pulls[0]["state"], pulls[0]["attempts"], pulls[0]["message_id"]) == (
        "sent",
        2,
        "<kept@example.org>",
    )


def test_lint_errors_block_sending(project: Project) -> None:
    project.run("sync")  # nothing pending: base = head
    result = project.run("request-pull", "net", "--send")
    assert result.code == 1
    assert "refusing to send the net pull request" in result.err
    assert "nothing to pull" in result.err
    assert not (project.root / ".treemerge" / "pulls").exists()


def test_foreign_paths_are_explained_from_the_summary(project: Project, tmp_path: Path) -> None:
    project.commit("net", {"drivers/char.c": "x\n", "drivers/block.c": "y\n"}, "net: drivers")
    project.run("sync")
    summary = tmp_path / "summary.txt"
    summary.write_text("Networking for 1.1\n\ndrivers/char.c: the new API needs it.\n")
    document = request(project, "--message", str(summary))
    rules = {f["rule"]: f for f in document["lint"]}
    assert "drivers/block.c" in rules["unexplained-foreign"]["message"]
    assert "drivers/char.c" not in rules["unexplained-foreign"]["message"]
    text = project.run("request-pull", "net").out
    assert "explained: drivers/char.c: the new API needs it." in text
    assert "foreign  drivers/block.c (DRIVERS)" in text


def test_control_characters_escaped_in_text_exact_in_json(project: Project) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: \x1b[31mred\x1b[0m alert")
    project.run("sync")
    text = project.run("request-pull", "net").out
    assert "net: \\x1b[31mred\\x1b[0m alert" in text
    assert "\x1b" not in text
    document = request(project)
    assert "\x1b[31mred" in str(document["shortlog"])
    markdown = project.run("request-pull", "net", "--format", "markdown").out
    assert "\x1b" not in markdown


def test_signed_tag_with_a_throwaway_ssh_key(project: Project, tmp_path: Path) -> None:
    key = tmp_path / "signing-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "net@example.org",
                    "-f", str(key)], check=True)  # fmt: skip
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"net@example.org {(tmp_path / 'signing-key.pub').read_text()}")
    for name, value in (("gpg.format", "ssh"), ("user.signingkey", str(key)),
                        ("gpg.ssh.allowedSignersFile", str(allowed))):  # fmt: skip
        git(tmp_path, "config", "--global", name, value)
    project.commit("net", {"net/core.c": "signed\n"}, "net: signed work")
    project.run("sync")
    document = request(project, "--sign")
    tag = str(document["tag"])
    tree = project.root / "trees" / "net.git"
    raw = git(tree, "cat-file", "tag", tag)
    assert "-----BEGIN SSH SIGNATURE-----" in raw
    verified = subprocess.run(["git", "verify-tag", tag], cwd=tree, capture_output=True,
                              text=True, check=False)  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert 'Good "git" signature for net@example.org' in verified.stderr


def test_a_summary_that_is_not_utf8_is_a_clear_error(project: Project, tmp_path: Path) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    summary = tmp_path / "latin1.txt"
    summary.write_bytes(b"Caf\xe9 fixes\n")
    result = project.run("request-pull", "net", "--message", str(summary), "--dry-run")
    assert result.code == 2
    assert f"--message {summary}: not UTF-8 text" in result.err
    assert "internal error" not in result.err


def test_an_output_file_that_cannot_be_written_stops_it_before_the_tag(
    project: Project, tmp_path: Path
) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    tree = project.root / "trees" / "net.git"
    before = git(tree, "show-ref")
    nowhere = tmp_path / "no-such-dir" / "pull.txt"
    result = project.run("request-pull", "net", "-o", str(nowhere))
    assert result.code == 2
    assert f"cannot write {nowhere}: no directory {nowhere.parent}" in result.err
    assert "internal error" not in result.err
    assert git(tree, "show-ref") == before  # no tag made or pushed
    # A file that fails only when written (a link into a missing directory) is said too.
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "gone" / "pull.txt")
    result = project.run("request-pull", "net", "--dry-run", "-o", str(dangling))
    assert result.code == 2
    assert f"cannot write {dangling}: No such file or directory" in result.err
    written = tmp_path / "pull.txt"
    assert project.run("request-pull", "net", "--dry-run", "-o", str(written)).code == 0
    assert written.read_text().startswith("Subject: [GIT PULL] NETWORKING for main")


def test_the_summary_written_in_the_editor(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.commit("net", {"net/core.c": "x\n"}, "net: x")
    project.run("sync")
    editor = tmp_path / "editor.sh"
    seen = tmp_path / "template.txt"
    editor.write_text(
        "#!/bin/sh\n"
        f'cp "$1" {seen}\n'
        'printf "Networking for 1.1\\n\\n# a note to self\\nFaster core.\\n" > "$1"\n'
    )
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    document = request(project, "--edit")
    assert document["summary"] == "Networking for 1.1\n\nFaster core.\n"
    tree = project.root / "trees" / "net.git"
    assert "Faster core." in git(tree, "cat-file", "tag", str(document["tag"]))
    assert "becomes the tag's message" in seen.read_text()
    editor.write_text('#!/bin/sh\nprintf "# only comments\\n" > "$1"\n')
    project.commit("net", {"net/core.c": "y\n"}, "net: y")
    project.run("sync")
    empty = project.run("request-pull", "net", "--edit")
    assert empty.code == 2
    assert "empty summary: nothing done" in empty.err


def test_conflict_forecast_against_the_upstream_and_other_trees(project: Project) -> None:
    """Trial merges against the upstream's tip and every other tree's work: conflicts
    are named with their owners, clean trees are not, and merging what the pull is
    built on (a fast-forward) is never reported."""
    assert project.run("tree", "create", "drivers").code == 0
    project.commit("net", {"drivers/char.c": "net's char\n", "net/core.c": "v2\n"}, "net: work")
    project.commit("drivers", {"drivers/char.c": "drivers' char\n"}, "drivers: char")
    project.run("sync")
    document = request(project, "--dry-run")
    assert document["forecast_against"] == ["main", "drivers"]
    (conflict,) = document["conflicts"]
    assert conflict["against"] == "drivers"
    assert [p["path"] for p in conflict["paths"]] == ["drivers/char.c"]
    project.commit("main", {"net/core.c": "upstream's core\n"}, "main: core")
    project.run("sync")
    document = request(project, "--dry-run")
    against = {c["against"]: [p["path"] for p in c["paths"]] for c in document["conflicts"]}
    assert against == {"main": ["net/core.c"], "drivers": ["drivers/char.c"]}


def test_a_tree_with_no_history_in_common_is_refused_by_name(project: Project) -> None:
    replace_with_unrelated_history(project, "net")
    assert project.run("sync", "net").code == 0
    result = project.run("request-pull", "net", "--dry-run")
    assert result.code == 2
    assert "net: no history in common with main" in result.err
    assert "Traceback" not in result.err
