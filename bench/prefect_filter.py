"""The API filter on Prefect's server alone: `medstay up` on PostgreSQL as the README starts it,
N bare runs made by Prefect's bulk endpoint (no dossier, so no projector at work), then the
p95 of a filter of one run and of 200 runs. Beside `bench/prefect_scale.py`, which measures
the same filter among medstay's own runs, it tells Prefect's cost from the stack's.

    python bench/prefect_filter.py 10000
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.doors import BIN, Up  # noqa: E402
from bench.prefect_scale import _bulk_baseline, _timed, p95  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory(prefix="medstay-pfilter-") as tmp:
        base = Path(tmp)
        subprocess.run(
            [str(BIN / "medstay"), "init", "--rehearsal"],
            env={**os.environ, "MEDSTAY_HOME": str(base / "home")},
            check=True,
            capture_output=True,
        )
        up = Up(base, {"MEDSTAY_PREFECT_DATABASE": "postgres"})
        try:
            made = _bulk_baseline(up, n)
            time.sleep(20)  # the creation's events persisted
            health = p95([_timed(lambda: up.http.get("/health")) for _ in range(40)]) * 1000
            one, many = (
                p95(
                    [
                        _timed(lambda limit=limit: up.http.post("/flow_runs/filter", json={"limit": limit}))
                        for _ in range(40)
                    ]
                )
                * 1000
                for limit in (1, 200)
            )
        finally:
            up.stop()
            from deployments.pgcluster import Cluster

            cluster = Cluster(up.home)
            if cluster.server != cluster.root:  # run as root: the cluster's data is outside the home
                shutil.rmtree(cluster.server, ignore_errors=True)
    print(
        f"Prefect alone, {made['bulk_made']:,} bare runs on PostgreSQL: filter of 200 runs p95 {many:.0f} ms | "
        f"baseline a filter of 1 run p95 {one:.0f} ms, /health p95 {health:.0f} ms | ratio {many / one:.1f}"
    )


if __name__ == "__main__":
    main()
