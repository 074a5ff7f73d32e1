"""The `medstay` console script. `medstay rules evaluate FILE [--json]` is answered without
loading the Typer application (Typer pulls pydantic: ~0.3 s), so the law starts fast;
everything else goes to `medstay.cli`."""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    args = sys.argv[1:]
    if len(args) in (3, 4) and args[:2] == ["rules", "evaluate"] and set(args[3:]) <= {"--json"} \
            and not args[2].startswith("-"):
        from medstay.cli import evaluate

        sys.exit(evaluate.run(Path(args[2]), as_json="--json" in args[3:]))
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

    if "prefect" in sys.modules:
        sys.exit(code)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
