"""Bulk creation under an overloaded Prefect server degrades without loss (issue 11): a call the
server cannot take is sent again in smaller calls after a backoff, and an answer lost on the way
back never makes a run twice (each entry carries an idempotency key).

The server is the session's real one (`medstay up`); between it and the creating client sits a
loopback HTTP relay that plays the overloaded server at the network's edge: it refuses bulk
calls of more than 50 runs (as the embedded SQLite stalls on large ones), and for the first
call it does pass it drops the answer after the server has made the runs.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import rules

pytestmark = pytest.mark.prefect
REFS = [f"9TER-2099-{n:06d}" for n in range(1, 121)]  # made-up references, out of every real range


class Overloaded:
    """The relay: forwards everything to the server, but for the bulk endpoint."""

    def __init__(self, upstream: str) -> None:
        self.upstream, self.bulk_calls, self.lost_answers = upstream.rstrip("/"), [], 0
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.endswith("/create_flow_run/bulk"):
                    size = body.count(b'"idempotency_key"')
                    relay.bulk_calls.append(size)
                    if size > 50:
                        return self._answer(503, b'{"detail": "overloaded"}')
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = httpx.request(
                    self.command, relay.upstream + self.path, content=body, headers=headers, timeout=60
                )
                if self.path.endswith("/create_flow_run/bulk") and relay.lost_answers == 0:
                    relay.lost_answers += 1  # made by the server, the answer lost on the way back
                    return self._answer(502, b'{"detail": "bad gateway"}')
                self._answer(answer.status_code, answer.content)

            def _answer(self, status: int, content: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_an_overloaded_server_gets_smaller_calls_and_no_run_is_made_twice(stack, monkeypatch):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

    from projector import creation

    relay = Overloaded(stack.api.removesuffix("/api"))
    monkeypatch.setattr(creation, "BACKOFF", (0.2, 0.2, 0.2, 0.2, 0.2))
    monkeypatch.setattr(creation, "_pool", [])  # painters of this test's own (they keep their client)
    evaluation = rules.evaluate([{"kind": "certificate_issued", "on": "2026-10-01"}])
    runs = [creation.NewRun(ref, evaluation) for ref in REFS]
    with get_client(sync_client=True) as client:
        deployment_id = client.read_deployment_by_name("dossier-lifecycle/dossier-lifecycle").id
    said = _Said()
    logging.getLogger("medstay.projector").addHandler(said)
    try:
        with (
            temporary_settings({PREFECT_API_URL: relay.url + "/api", PREFECT_CLIENT_MAX_RETRIES: 0}),
            get_client(sync_client=True) as through_relay,
        ):
            made = creation.create(through_relay, deployment_id, runs)
        assert sorted(made) == REFS  # every dossier has its run: nothing dropped
        assert relay.bulk_calls[0] == 100 and max(relay.bulk_calls[1:]) <= 50, relay.bulk_calls
        assert relay.lost_answers == 1
        assert any("next calls of 50" in line for line in said.lines), said.lines
        with get_client(sync_client=True) as client:
            found = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=REFS)))
        assert sorted(r.name for r in found) == REFS  # one run each, the resent entries included
        assert {r.id for r in found} == set(made.values())
        assert all(r.state.is_paused() and r.state.name.startswith("Preparing") for r in found), {
            r.state.name for r in found
        }
    finally:
        for pool in creation._pool:
            pool.shutdown(wait=True)
        with get_client(sync_client=True) as client:  # leave the session's server as it was
            for r in client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=REFS))):
                client.delete_flow_run(r.id)
        relay.server.shutdown()
        logging.getLogger("medstay.projector").removeHandler(said)


class _Said(logging.Handler):
    """The projector's warnings, as its log shows them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record) -> None:
        self.lines.append(record.getMessage())
