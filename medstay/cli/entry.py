"""The `medstay` console script. `medstay rules evaluate FILE [--json]` is answered without
loading the Typer application (Typer pulls pydantic: ~0.3 s), so the law starts fast;
everything else goes to `medstay.cli`."""

from __future__ import annotations

import sys
from pathlib import Path


class OutputClosed(Exception):
    """Standard output cannot be written: the reader left (`| head -0`) or its disk is full
    (`> /dev/full`). Not a bug, and nothing to report but that."""

    def __init__(self, error: OSError):
        super().__init__(error.strerror or type(error).__name__)
        self.errno = error.errno


class _Output:
    """sys.stdout, whose write errors become `OutputClosed` (the command's own files, the home
    and the database keep theirs)."""

    def __init__(self, raw) -> None:
        self._raw = raw

    def write(self, text: str) -> int:
        try:
            return self._raw.write(text)
        except OSError as exc:
            raise OutputClosed(exc) from None

    def flush(self) -> None:
        try:
            self._raw.flush()
        except OSError as exc:
            raise OutputClosed(exc) from None

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


def output_closed(exc: OutputClosed) -> int:
    """Leave quietly: stdout pointed at /dev/null (so that nothing tries again at exit), one
    line on stderr when the output was lost to a full disk, nothing when the reader left."""
    import errno
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    except OSError:
        pass
    if exc.errno != errno.EPIPE:
        print(f"medstay: the output could not be written ({exc})", file=sys.stderr)
        return 2
    return 1


def main() -> None:
    sys.stdout = _Output(sys.stdout)
    try:
        _main()
    except OutputClosed as exc:
        _leave(output_closed(exc))


def _main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["event"]:
        # A fact is a process of half a second that exits without tearing down (`_leave`):
        # the cycle collector would only walk the objects the imports make (SQLAlchemy's, the
        # tables' classes), a sixth of the start, and free nothing that matters by then.
        import gc

        gc.disable()
    if (
        len(args) in (3, 4)
        and args[:2] == ["rules", "evaluate"]
        and set(args[3:]) <= {"--json"}
        and not args[2].startswith("-")
    ):
        from medstay.cli import evaluate

        _leave(evaluate.run(Path(args[2]), as_json="--json" in args[3:]))
    from medstay.cli.app import main as full

    try:
        full()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
        _leave(code)
    _leave(0)


def _leave(code: int) -> None:
    """Exit without the interpreter's teardown of the hundreds of modules loaded (a tenth of a
    second on this machine, longer than recording the fact itself): everything that matters
    is committed by now. Not after Prefect was used: its exit handlers send the last logs."""
    import os

    try:
        sys.stdout.flush()
    except OutputClosed as exc:
        code = output_closed(exc)
    if "prefect" in sys.modules:
        sys.exit(code)
    sys.stderr.flush()
    os._exit(code)
