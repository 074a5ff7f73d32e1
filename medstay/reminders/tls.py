"""One TLS context per process for Apprise's e-mail plugin.

Apprise 1.13 calls `ssl.create_default_context()` for every e-mail it sends, even over a
plain connection; reading the machine's CA store is 20-30 ms of CPU here, most of a send.
Its e-mail module is given an `ssl` whose `create_default_context()` returns a stand-in
that records the settings Apprise makes (check_hostname, verify_mode) and, only when a
connection is actually secured, lends a real context built once per process for those
settings (and rebuilt hourly, so a renewed CA store is read). The verification is the one
Apprise asked for: a context made the same way, the same settings in the same order.
"""

from __future__ import annotations

import ssl
import threading
import time

REBUILD_AFTER = 3600.0  # seconds; a context outliving a CA-store update by at most this

_lock = threading.Lock()
_built: dict[tuple, tuple[float, ssl.SSLContext]] = {}


def shared_context(settings: tuple = ()) -> ssl.SSLContext:
    """The default context with `settings` ((name, value) pairs, applied in order)."""
    with _lock:
        made = _built.get(settings)
        if made is None or time.monotonic() - made[0] > REBUILD_AFTER:
            context = ssl.create_default_context()
            for name, value in settings:
                setattr(context, name, value)
            made = _built[settings] = (time.monotonic(), context)
        return made[1]


class _Deferred:
    """What Apprise gets for a new default context: settings now, the real one on use."""

    def __init__(self) -> None:
        object.__setattr__(self, "_settings", [])

    def __setattr__(self, name: str, value) -> None:
        self._settings.append((name, value))

    def __getattr__(self, name: str):  # wrap_socket, and anything else Apprise reads
        for set_name, value in reversed(self._settings):
            if set_name == name:
                return value
        return getattr(shared_context(tuple(self._settings)), name)


class _SSL:
    """The `ssl` module, but for `create_default_context()` without arguments."""

    def __getattr__(self, name: str):
        return getattr(ssl, name)

    @staticmethod
    def create_default_context(*args, **kwargs):
        return ssl.create_default_context(*args, **kwargs) if args or kwargs else _Deferred()


def install() -> bool:
    """Give Apprise's e-mail module the shared contexts; False (and nothing changed) if that
    module no longer reads `ssl` the way this was written for (the test says so)."""
    try:
        from apprise.plugins.email import base
    except ImportError:
        return False
    if isinstance(getattr(base, "ssl", None), _SSL):
        return True
    if getattr(base, "ssl", None) is not ssl:
        return False
    base.ssl = _SSL()
    return True
