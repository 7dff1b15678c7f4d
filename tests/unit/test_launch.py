"""The executable's start-up: the garbage collector waits until the command is loaded."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from treemerge.cli import launch
from treemerge.cli.main import cli


@pytest.fixture
def paused() -> Iterator[None]:
    """The collector as the executable leaves it at start-up (put back afterwards)."""
    frozen = gc.get_freeze_count()
    gc.disable()
    launch._collector_paused = True
    yield
    launch._collector_paused = False
    gc.enable()
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()


@pytest.mark.usefixtures("paused")
def test_loading_a_command_resumes_collecting() -> None:
    assert not gc.isenabled()
    result = CliRunner().invoke(cli, ["request-pull", "--help"])
    assert result.exit_code == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # what start-up made is out of the collector's sight


def test_a_process_that_did_not_pause_collecting_is_left_as_it_is() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    launch.loaded()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
