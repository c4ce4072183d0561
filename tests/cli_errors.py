"""Running the CLI in-process, and checking that a mistake ends in one line, exit status 2 and
nothing written."""

import os

from landscape.cli._main import main


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(capsys, directory, *argv) -> str:
    """Run ``landscape *argv``; assert exit 2, one ``landscape: error:`` line on stderr and no
    new file in ``directory``; return the line."""
    before = set(os.listdir(directory))
    code, out, err = run(capsys, *argv)
    assert code == 2, (out, err)
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("landscape: error:"), err
    assert set(os.listdir(directory)) == before, "something was written"
    return lines[0]
