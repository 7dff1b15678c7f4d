"""What a pull's forecast merges with, from names and commits alone."""

from __future__ import annotations

import datetime as dt

import pytest

from treemerge.core.pullplan import forecast_targets, pull_date


def test_the_forecast_is_against_the_upstream_and_every_other_tree_with_a_head() -> None:
    heads = {"main": "m1", "net": "n1", "drivers": "d1", "docs": "x1"}
    trees = [("main", None), ("net", "main"), ("drivers", "main"), ("docs", "main"), ("fs", "main")]
    against = forecast_targets("net", "main", "m0", heads=heads, trees=trees)
    # The upstream at the tip given (not its head in `heads`), first; then the others
    # in the configuration's order: never the pull's own tree, nor one without a head.
    assert list(against.items()) == [("main", "m0"), ("drivers", "d1"), ("docs", "x1")]


def test_the_forecast_does_not_depend_on_the_merge_base() -> None:
    """The merges can start as soon as the heads are read: even the commit the pull is
    built on is merged (a fast-forward, which git merges cleanly)."""
    heads = {"main": "m1", "net": "n1"}
    trees = [("main", None), ("net", "main")]
    assert forecast_targets("net", "main", "m1", heads=heads, trees=trees) == {"main": "m1"}


@pytest.mark.parametrize("now", [0, 1_764_547_199, 1_764_547_200, 1_709_164_800, 4_102_444_799])
def test_a_pull_is_named_by_its_utc_date(now: int) -> None:
    expected = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%d")
    assert pull_date(now) == expected
