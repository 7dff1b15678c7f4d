"""--json output: one line for a program reading a pipe, indented for a person."""

from __future__ import annotations

import io
import json

from treemerge.cli.output import write_json

DOCUMENT = {"files": [{"path": "n\udcffa.c", "status": "foreign"}], "violations": 1}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_one_line_and_a_terminal_an_indented_document() -> None:
    pipe, terminal = io.StringIO(), Terminal()
    write_json(DOCUMENT, out=pipe)
    write_json(DOCUMENT, out=terminal)
    assert pipe.getvalue().count("\n") == 1
    assert terminal.getvalue().startswith('{\n  "files": [\n')
    for text in (pipe.getvalue(), terminal.getvalue()):
        assert text.isascii()  # a name that is not UTF-8 survives as an escape
        assert json.loads(text) == DOCUMENT
