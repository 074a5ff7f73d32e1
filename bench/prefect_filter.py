"""The API filter on Prefect's server alone: `medstay up` on PostgreSQL as the README starts it,
N bare runs made by Prefect's bulk endpoint (every entry checked, no dossier, so no projector
at work; the runs counted in Prefect before measuring), then a filter of 200 runs against a
filter of one run, in turns. Beside `bench/prefect_scale.py`, which measures the same filter
among medstay's own runs, it tells Prefect's cost from the stack's.

    python bench/prefect_filter.py 10000
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import check, line, load  # noqa: E402
from bench.prefect_scale import bulk_runs, count_runs, filters, service, start, stop  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    started_load = load()
    with tempfile.TemporaryDirectory(prefix="medstay-pfilter-") as tmp:
        up = start(Path(tmp) / "a", {"MEDSTAY_PREFECT_DATABASE": "postgres"})
        try:
            api = service(up)
            made = bulk_runs(api, 0, n)
            check("bare runs in Prefect", n, count_runs(api, name={"like_": "bulk-"}))
            time.sleep(10)  # the creation's events persisted
            many, one = filters(api)
        finally:
            stop(up, "postgres")
    line(
        f"Prefect alone, {n:,} bare runs on PostgreSQL ({made['failed_entries']} failed entries sent again): "
        "API filter of 200 runs",
        many,
        "a filter of 1 run, in turns",
        one,
        started_load=started_load,
    )


if __name__ == "__main__":
    main()
