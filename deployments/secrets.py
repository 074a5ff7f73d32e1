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
from models.settings import SettingsError, use_secret_reader


@functools.cache
def read(name: str) -> str:
    """The block's value (Prefect is imported only now: it is heavy)."""
    prefect_env.configure()
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(name).get())
    except Exception as exc:  # noqa: BLE001  (Prefect down, no such block, no access: all the user's to fix)
        missing = "Unable to find" in str(exc) or type(exc).__name__ == "ObjectNotFound"
        raise SettingsError(
            "a Prefect Secret block named in MEDSTAY_SECRET_KEY or a channel URL "
            + (
                "does not exist: create it, or give the value itself"
                if missing
                else "cannot be read: is Prefect running (`medstay up`)? Or give the value itself"
            )
        ) from None


def install() -> None:
    """Let this process read Prefect Secret blocks (the CLI, the projector, the flows)."""
    use_secret_reader(read)
