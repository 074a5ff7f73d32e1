"""Secrets kept in Prefect Secret blocks: `MEDSTAY_SECRET_KEY=prefect-secret:BLOCK` and
`${secret:NAME}` in a channel URL.

Read here, once per process and block (an encryption asks for the key each time: reading the
block each time made a fact need Prefect's API eight times over). `install()` hands the reader
to `models.settings`, which never imports Prefect; with a key file nothing here is ever called,
so recording a fact never needs Prefect.
"""

from __future__ import annotations

import functools

from deployments import prefect_env
from models.settings import use_secret_reader


@functools.cache
def read(name: str) -> str:
    """The block's value (Prefect is imported only now: it is heavy)."""
    prefect_env.configure()
    from prefect.blocks.system import Secret

    return str(Secret.load(name).get())


def install() -> None:
    """Let this process read Prefect Secret blocks (the CLI, the projector, the flows)."""
    use_secret_reader(read)
