"""The forge body's cap (GitHub refuses descriptions over 65,536 characters): pure, no
server, no git."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from treemerge.deliver.forge_body import cap_body

NOTE = "*cut*"
FENCE = "```"


def block(name: str, count: int) -> list[str]:
    return [FENCE, *(f"{name} {n:05}" for n in range(count)), FENCE]


def balanced(text: str) -> bool:
    """Whether every code block and <details> the text opens is closed."""
    tokens = MarkdownIt("commonmark").parse(text)
    html = "".join(t.content for t in tokens if t.type == "html_block")
    fences = [t for t in tokens if t.type == "fence"]
    return html.count("<details") == html.count("</details") and all(
        t.markup and not t.content.endswith(NOTE + "\n") for t in fences
    )


def test_a_text_that_fits_is_left_as_it_is() -> None:
    text = "\n".join(["# title", *block("line", 10)])

    assert cap_body(text, len(text), NOTE) == text


def test_the_middle_of_the_longest_block_goes_first() -> None:
    text = "\n".join(["summary", *block("small", 20), "between", *block("big", 2000), "end"])

    capped = cap_body(text, 10_000, NOTE)

    assert len(capped) <= 10_000
    assert capped.startswith("summary\n" + "\n".join(block("small", 20)) + "\nbetween\n```\n")
    assert "big 00000\n" in capped
    assert "big 01999\n```\nend\n\n*cut*" in capped
    [omitted] = [line for line in capped.split("\n") if line.startswith("[… ")]
    assert omitted.endswith(" lines cut here …]")
    assert balanced(capped)


def test_blocks_are_cut_one_after_the_other_until_it_fits() -> None:
    text = "\n".join(["a", *block("one", 600), "b", *block("two", 500), "c"])

    capped = cap_body(text, 3_000, NOTE)

    assert len(capped) <= 3_000
    assert capped.count(" lines cut here …]") == 2
    assert capped.endswith("two 00499\n```\nc\n\n*cut*")
    assert balanced(capped)


def test_when_cutting_blocks_is_not_enough_the_end_goes_and_what_it_opened_is_closed() -> None:
    lines = ["<details><summary>git</summary>", "", *block("x", 50), "", "</details>"]
    text = "\n".join(["word " * 2_000, *lines, "", "report"])

    capped = cap_body(text, 10_050, NOTE)

    assert len(capped) <= 10_050
    assert capped.endswith(f"</details>\n\n{NOTE}")
    assert "report" not in capped
    assert balanced(capped)


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=5),
    prose=st.integers(min_value=0, max_value=3_000),
    room=st.integers(min_value=200, max_value=20_000),
)
def test_the_cut_text_always_fits_and_renders_balanced(
    sizes: list[int], prose: int, room: int
) -> None:
    lines = ["<details><summary>s</summary>", ""]
    for index, size in enumerate(sizes):
        lines += ["x" * (prose // len(sizes)), *block(f"b{index}", size), ""]
    text = "\n".join([*lines, "</details>", "", "end"])

    capped = cap_body(text, room, NOTE)

    assert len(capped) <= room
    assert capped == text or capped.endswith(f"\n\n{NOTE}")
    assert balanced(capped)
