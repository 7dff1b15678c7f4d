"""git's rules for ref names (`git check-ref-format`), without git.

A subsystem id becomes one component of `refs/trees/<id>` and the start of its pull
requests' tag names, a branch becomes `refs/heads/<branch>`, `--tag NAME` becomes
`refs/tags/NAME`: a name git would refuse must be refused when it is read, naming where
it came from, not when a sync or a push meets it. The rules are those of git's
refs.c (check_refname_component and check_or_sanitize_refname).
"""

from __future__ import annotations

import re

# Characters git refuses anywhere in a ref name: ASCII control characters (DEL
# included), space, and ~ ^ : ? * [ \ (`*` is allowed only in refspec patterns).
BAD_CHARACTER = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
# What else git refuses in one component, and how to say it.
COMPONENT_RULES = (
    (re.compile(r"\A\Z"), "is empty"),
    (re.compile(r"/"), "contains '/'"),
    (re.compile(r"\A\."), "starts with '.'"),
    (re.compile(r"\.lock\Z"), "ends with '.lock'"),
    (re.compile(r"\.\."), "contains '..'"),
    (re.compile(r"@\{"), "contains '@{'"),
)
# What git refuses of a whole ref name beyond its components' rules.
NAME_RULES = (
    (re.compile(r"\A@\Z"), "is '@'"),
    (re.compile(r"\A/"), "starts with '/'"),
    (re.compile(r"/\Z"), "ends with '/'"),
    (re.compile(r"//"), "contains '//'"),
)
TRAILING_DOT = re.compile(r"\.\Z")


def component_problem(component: str) -> str | None:
    """Why git would refuse `component` as one `/`-separated part of a ref name, or None.

    A component is not empty, does not start with '.', does not end with '.lock', and
    holds no '..', no '@{' and none of the characters BAD_CHARACTER names. ('/' is
    refused too: it would make two components.)
    """
    bad = BAD_CHARACTER.search(component)
    if bad is not None:
        return f"contains {_shown(bad.group())}"
    return _first_broken(COMPONENT_RULES, component)


def refname_problem(name: str) -> str | None:
    """Why git would refuse `name` as a full ref name (such as refs/heads/x), or None.

    Every component passes `component_problem` (so no leading, trailing or doubled
    '/'), the name has at least two components, does not end with '.', and is not '@'.
    """
    problem = _first_broken(NAME_RULES, name)
    if problem is not None:
        return problem
    components = name.split("/")
    for component in components:
        problem = component_problem(component)
        if problem is not None:
            return problem if len(components) == 1 else f"has a part that {problem}"
    if TRAILING_DOT.search(name):
        return "ends with '.'"
    if len(components) < 2:
        return "has only one part (a full ref name starts with refs/)"
    return None


def subsystem_id_problem(ident: str) -> str | None:
    """Why `ident` cannot name a tree (refs/trees/<id>, tags <id>-for-...), or None:
    a ref-name component that also does not end with '.'."""
    problem = component_problem(ident)
    if problem is None and TRAILING_DOT.search(ident):
        problem = "ends with '.'"
    return problem


def tag_name_problem(name: str) -> str | None:
    """Why `name` cannot be a tag created by treemerge, or None: what `git tag` refuses
    (a name starting with '-', or one whose refs/tags/<name> is no valid ref name), and
    a name starting with 'refs/' (it would be refs/tags/refs/..., never what was meant)."""
    if name.startswith("-"):
        return "starts with '-'"
    if name.startswith("refs/"):
        return "starts with 'refs/' (give the tag's short name: refs/tags/ is added)"
    if not name:
        return "is empty"
    return refname_problem(f"refs/tags/{name}")


def _first_broken(rules: tuple[tuple[re.Pattern[str], str], ...], text: str) -> str | None:
    return next((why for rule, why in rules if rule.search(text)), None)


def _shown(character: str) -> str:
    if character == " ":
        return "a space"
    if character.isprintable():
        return repr(character)
    return f"a control character (\\x{ord(character):02x})"
