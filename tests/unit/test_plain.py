"""Records as plain dicts (core/plain.py), and the records that are made by it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from treemerge.core.check import FileVerdict
from treemerge.core.plain import as_dict
from treemerge.store.records import COLUMNS, Records


class Point(NamedTuple):
    x: int
    y: int | None = None


class Labelled(NamedTuple):
    label: str

    def as_dict(self) -> dict[str, object]:
        return {"text": self.label.upper()}


@dataclass(frozen=True)
class Shape:
    name: str
    points: tuple[Point, ...]
    labels: list[Labelled]
    corner: Point | None = None


def test_fields_in_order_with_tuples_as_lists_and_records_within_as_dicts() -> None:
    shape = Shape("tri", (Point(0, 0), Point(1)), [Labelled("a")], Point(2, 2))
    assert json.dumps(as_dict(shape)) == json.dumps(
        {
            "name": "tri",
            "points": [{"x": 0, "y": 0}, {"x": 1, "y": None}],
            "labels": [{"text": "A"}],
            "corner": {"x": 2, "y": 2},
        }
    )


def test_renamed_fields_keep_their_place() -> None:
    assert list(as_dict(Point(1, 2), x="across")) == ["across", "y"]


def test_a_verdict_as_its_json_has_always_had_it() -> None:
    verdict = FileVerdict("a.c", "acked", ("NET",), ("1" * 40,), ("n@x.org",), "A")
    assert json.dumps(verdict.as_dict()) == json.dumps(
        {
            "path": "a.c",
            "status": "acked",
            "owners": ["NET"],
            "commits": ["1" * 40],
            "acks": ["n@x.org"],
            "change": "A",
        }
    )


def test_the_records_fields_are_the_tables_columns(tmp_path: Path) -> None:
    Records(tmp_path / "records.sqlite").close()
    db = sqlite3.connect(tmp_path / "records.sqlite")
    try:
        columns = tuple(row[1] for row in db.execute("PRAGMA table_info(pulls)"))
    finally:
        db.close()
    assert columns == COLUMNS
