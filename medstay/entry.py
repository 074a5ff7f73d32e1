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
        from medstay import evaluate

        sys.exit(evaluate.run(Path(args[2]), as_json="--json" in args[3:]))
    from medstay.cli import main as full

    full()
