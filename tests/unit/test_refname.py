"""git's ref-name rules without git: one component, a full name, an id, a tag name."""

from __future__ import annotations

import pytest

from treemerge.core.refname import (
    component_problem,
    refname_problem,
    subsystem_id_problem,
    tag_name_problem,
)

VALID_COMPONENTS = ["net", "a.b", "v1.0", "x-y_z", "a.", "@", "lock", "x.locked", "café"]


@pytest.mark.parametrize("component", VALID_COMPONENTS)
def test_valid_components(component: str) -> None:
    assert component_problem(component) is None


@pytest.mark.parametrize(
    ("component", "problem"),
    [
        ("", "is empty"),
        ("a/b", "contains '/'"),
        (".hidden", "starts with '.'"),
        (".", "starts with '.'"),
        ("x.lock", "ends with '.lock'"),
        ("a..b", "contains '..'"),
        ("a@{1}", "contains '@{'"),
        ("a b", "contains a space"),
        ("a\tb", "contains a control character (\\x09)"),
        ("a\x7fb", "contains a control character (\\x7f)"),
        ("a\x00b", "contains a control character (\\x00)"),
        ("a~1", "contains '~'"),
        ("a^", "contains '^'"),
        ("a:b", "contains ':'"),
        ("a?", "contains '?'"),
        ("a*", "contains '*'"),
        ("a[b", "contains '['"),
        ("a\\b", "contains '\\\\'"),
    ],
)
def test_invalid_components(component: str, problem: str) -> None:
    assert component_problem(component) == problem


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("refs/heads/master", None),
        ("refs/heads/for-main", None),
        ("refs/tags/v1.0", None),
        ("refs/heads/a./b", None),  # only the name's end may not be '.'
        ("refs/heads/@", None),
        ("@", "is '@'"),
        ("master", "has only one part (a full ref name starts with refs/)"),
        ("/refs/heads/x", "starts with '/'"),
        ("refs/heads/x/", "ends with '/'"),
        ("refs//heads", "contains '//'"),
        ("refs/heads/x.", "ends with '.'"),
        ("refs/heads/a..b", "has a part that contains '..'"),
        ("refs/heads/.x", "has a part that starts with '.'"),
        ("refs/heads/x.lock", "has a part that ends with '.lock'"),
        ("refs/heads/x.lock/y", "has a part that ends with '.lock'"),
        ("refs/heads/a@{u}", "has a part that contains '@{'"),
        ("refs/heads/a b", "has a part that contains a space"),
    ],
)
def test_full_names(name: str, problem: str | None) -> None:
    assert refname_problem(name) == problem


@pytest.mark.parametrize(
    ("ident", "problem"),
    [
        ("libvirt", None),
        ("nova.api", None),
        ("a..b", "contains '..'"),
        ("x.lock", "ends with '.lock'"),
        ("x.", "ends with '.'"),
        (".x", "starts with '.'"),
        ("a/b", "contains '/'"),
    ],
)
def test_subsystem_ids(ident: str, problem: str | None) -> None:
    assert subsystem_id_problem(ident) == problem


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("libvirt-for-main-2026-11-22", None),
        ("v1.0", None),
        ("release/1.0", None),
        ("-n", "starts with '-'"),
        ("--force", "starts with '-'"),
        ("refs/heads/for-main", "starts with 'refs/'"),
        ("refs/tags/v1", "starts with 'refs/'"),
        ("", "is empty"),
        ("a..b", "has a part that contains '..'"),
        ("x.lock", "has a part that ends with '.lock'"),
        ("x.", "ends with '.'"),
        ("x/", "ends with '/'"),
        ("@", None),  # refs/tags/@ is a valid ref name (git tag @ makes it)
        ("a:b", "has a part that contains ':'"),
    ],
)
def test_tag_names(name: str, problem: str | None) -> None:
    found = tag_name_problem(name)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(problem)
