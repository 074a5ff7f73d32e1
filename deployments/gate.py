"""The gate: the one door of Prefect's UI and API to caseworkers (`medstay up` starts it on
`--port`; Prefect's server listens on a private loopback port behind it).

- **Who.** Every `/api` request carries HTTP Basic credentials (Prefect's UI asks for them on
  its own login page and sends `Authorization: Basic base64(code:password)`), checked against
  the caseworkers' accounts (`medstay/accounts.py`, Argon2 hashes). A verified login is kept in
  memory for a while, keyed by a digest of the header, and its account re-read on every
  request: a disabled account or a changed password is refused at once. Failed logins are
  limited per account and per client address, and audited (never the password, never what
  was typed as a login unless it is an account's code).
- **What.** A caseworker reads (GET, and the API's read-only POSTs: filters, counts, history,
  the UI's own endpoints) and resumes paused runs; anything else is refused (ops use medstay's
  commands, the machine clients reach Prefect directly with the service login).
- **A Resume** is read against the exact form the run offered (`medstay/record/answers.py`)
  before Prefect stores anything: a refused answer never reaches Prefect, and the refusal
  repeats nothing typed. The login is stamped as `recorded_by`, any `recorded_by` sent is
  dropped. Prefect's embedded SQLite answers 503 ("database is locked") under load and its UI
  does not resend: the gate resends a Resume (bounded; Prefect applies a Resume in one
  transaction and only to a paused run, so a resent one is applied once) before answering.
- **After a Resume** the browser is answered once the run has left "Resuming" (paused at its
  next stage, about 1.4 s; at most `SETTLE` seconds): Prefect's run page re-reads the run when
  the dialog closes, then only every 5 s, so an immediate answer left "Resuming" on screen
  for up to 6 s after the run was paused again.
- **Prefect's UI, as it comes** (`index.html` gets two lines first, `_INTO_PAGE`): before
  login a page is sent to `/login` by the page itself. Prefect's UI, opened on any other page
  with no login stored, asks `/api/admin/version`, gets 401 and shows an "Authentication
  failed." toast that stays on screen after the login; on `/login` it asks the same and shows
  nothing. Its dialogs are widened so that the Resume form's buttons and header fit. Its
  server settings are not a caseworker's to read: the one the UI reads (the Cloud promotion)
  is answered, as a 403 there shows "Oops. Something went wrong." with the promotion.
- The service login (the machine clients' own, in the home's Prefect profile) passes as is.

Requests are forwarded to Prefect with the service login; nothing of a request body or URL
is logged here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import time
from collections import deque

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from medstay import accounts
from medstay.record import answers

LOGIN_TTL = 600  # seconds a verified password is trusted before Argon2 checks it again
WINDOW = 900  # seconds over which failed logins are counted
PER_ACCOUNT, PER_ADDRESS = 5, 30  # failed logins allowed in the window before refusing
RESUME_DELAYS = (0.2, 0.4, 0.8, 1.5, 2, 2, 3, 3, 4, 4)  # ~21 s of resending, then the browser hears
READ_DELAYS = (0.3, 1, 2)
MAX_BODY = 256 * 1024
SETTLE = 8.0  # seconds a Resume's answer may wait for the run to be paused again (1.4 s usual)
_MOVING = {"SCHEDULED", "PENDING", "RUNNING"}  # "Resuming", then the projector executing the flow
# Added first in Prefect's index.html (see _into_page). The script: no login stored (Prefect's
# UI keeps it, base64 code:password, under this key of the browser's storage) and not on
# /login → go there. The style: Prefect's dialogs are 32rem wide, too narrow for the Resume
# form's buttons (up to nine) and its header at 1366 px (!important: Prefect's stylesheet comes
# later with the same selector); a button row that still does not fit wraps, nothing hidden.
# A wider dialog reaches under the side bar, whose links (z-index 20, no background) would take
# the clicks meant for its left edge: the dialog is lifted above it (below toasts and lists).
# Table cells wrap: the board's act-by cell ("04/12/2026 OVERDUE by 1 day (legal date …)") and
# its stage kept one line each, and the table ran past the page's right edge at 1366 px.
_INTO_PAGE = (
    b"<script>if(!localStorage.getItem('prefect-password')&&location.pathname!=='/login')"
    b"location.replace('/login?redirect='+encodeURIComponent(location.pathname+location.search))</script>"
    b"<style>.p-modal{z-index:30!important}.p-modal__card{max-width:min(60rem,calc(100vw - 2rem))!important}"
    b"[role=dialog] .p-button-group{flex-wrap:wrap}td,th{white-space:normal!important;overflow-wrap:break-word}</style>"
)
# Prefect's UI reads one server setting (whether to show Prefect Cloud's promotion); a 403 here
# shows an "Oops. Something went wrong." toast. The rest (database, logins) is ops' business.
_SETTINGS = "/api/admin/settings"
OPEN = {"/api/health", "/api/ready"}
_RESUME = re.compile(r"^/api/flow_runs/([0-9a-f-]{36})/resume$")
_READ_POST = re.compile(r"^/api/(ui/.*|events/count-by/.*|.*/(filter|count|paginate|history))$")
_CLOSED = ("/api/admin/settings",)
_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "authorization",
    "accept-encoding",
}


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"exception_message": message, "detail": message}, status_code=status)


class Limiter:
    """Failed logins per key (an account, a client address) in a sliding window."""

    def __init__(self, limit: int) -> None:
        self.limit, self.seen = limit, {}

    def _recent(self, key: str) -> deque:
        times = self.seen.setdefault(key, deque())
        while times and times[0] < time.monotonic() - WINDOW:
            times.popleft()
        return times

    def blocked(self, key: str) -> bool:
        return len(self._recent(key)) >= self.limit

    def failed(self, key: str) -> bool:
        """Count a failure; True when this one reached the limit (to audit once)."""
        times = self._recent(key)
        times.append(time.monotonic())
        return len(times) == self.limit


class Gate:
    def __init__(self, upstream: str, service_login: str, writers: int = 1) -> None:
        self.upstream = httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(60, connect=5))
        self.service = "Basic " + base64.b64encode(service_login.encode()).decode()
        self.logins: dict[bytes, tuple[str, str, float]] = {}  # digest of the header → (code, hash, until)
        self.accounts, self.addresses = Limiter(PER_ACCOUNT), Limiter(PER_ADDRESS)
        # Resumes handed to Prefect one at a time on its embedded SQLite (one writer anyway):
        # measured, 20 at once held each other on the lock for over a minute, and lost some.
        self.writers = asyncio.Semaphore(writers)
        self.settling: set[str] = set()  # runs with a Resume in hand (until paused again)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] != "http":  # websockets: the UI works without them; nothing unchecked passes
            return await send({"type": "websocket.close", "code": 1008})
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if not path.startswith("/api/"):
            return _into_page(await self.forward(request, await request.body()))  # the UI's files
        if path in OPEN and request.method in ("GET", "HEAD"):
            return await self.forward(request, await request.body())
        header = request.headers.get("authorization", "")
        if hmac.compare_digest(header.encode(), self.service.encode()):
            return await self.forward(request, await request.body())
        who = await self.login(header, request.client.host if request.client else "?")
        if isinstance(who, Response):
            return who
        if path == _SETTINGS and request.method == "GET":
            return await self.settings()
        if not _allowed(request.method, path):
            return _answer(
                403,
                "a caseworker login may read and resume dossier runs; anything else is done with medstay's commands",
            )
        body = await _body(request)
        if body is None:
            return _answer(413, "the request is too large")
        resume = _RESUME.match(path)
        if resume and request.method == "POST":
            return await self.resume(request, resume[1], body, who)
        return await self.forward(request, body, delays=READ_DELAYS)

    async def login(self, header: str, address: str) -> str | Response:
        """The caseworker's code, or the refusal to send."""
        if not header:
            return _answer(401, "Unauthorized")
        code, password = _credentials(header)
        digest = hashlib.sha256(header.encode()).digest()
        cached = self.logins.get(digest)
        if cached and cached[2] > time.monotonic():
            account = await run_in_threadpool(accounts.lookup, cached[0])
            if account and account.enabled and account.password_hash == cached[1]:
                return cached[0]
            self.logins.pop(digest, None)
        if self.accounts.blocked(code) or self.addresses.blocked(address):
            return _answer(429, "too many failed logins: wait a quarter of an hour, or ask ops")
        account = await run_in_threadpool(accounts.verify, code, password) if code else None
        if account is None:
            return await self.refused(code, address)
        self.logins[digest] = (account.code, account.password_hash, time.monotonic() + LOGIN_TTL)
        return account.code

    async def refused(self, code: str, address: str) -> Response:
        limited = [self.accounts.failed(code), self.addresses.failed(address)]
        await run_in_threadpool(
            accounts.audit_refused, code, "login.refused", "wrong password, unknown or disabled account"
        )
        if any(limited):
            await run_in_threadpool(
                accounts.audit_refused,
                code,
                "login.rate_limited",
                "too many failed logins" + (" from one address" if limited[1] else ""),
            )
        return _answer(401, "Unauthorized")

    async def resume(self, request: Request, run_id: str, body: bytes, who: str) -> Response:
        """One Resume of a run at a time: a second Submit while the dialog waits for the first
        (resent, or recorded and not yet paused again) is refused, never a second fact."""
        if run_id in self.settling:
            return _reject("the answer just sent is being recorded: wait for the dialog to close")
        self.settling.add(run_id)
        try:
            return await self.resume_once(request, run_id, body, who)
        finally:
            self.settling.discard(run_id)

    async def resume_once(self, request: Request, run_id: str, body: bytes, who: str) -> Response:
        """Check the answer against the run's form, stamp the login, resend on 5xx, answer once
        the run is paused again."""
        try:
            sent = json.loads(body or b"{}")
        except ValueError:
            return _reject("the answer is not the form's: submit it from the Resume dialog")
        run_input = sent.get("run_input") if isinstance(sent, dict) else None
        if run_input is not None:
            form = await self.form(run_id)
            if form is None:
                return _reject("this run is not waiting for a fact now: reload the page")
            if not isinstance(run_input, dict):
                return _reject("the answer is not the form's: submit it from the Resume dialog")
            run_input = {k: v for k, v in run_input.items() if k != answers.STAMPED}
            refusal = answers.check(run_input, form)
            if refusal:
                return _reject(f"Not sent: {refusal}.")
            sent = {"run_input": {**run_input, answers.STAMPED: who}}
        payload = json.dumps(sent).encode()
        answer, unsure = None, False
        for delay in (0, *RESUME_DELAYS):
            await asyncio.sleep(delay)
            try:
                async with self.writers:
                    answer = await self.send(request, payload)
            except httpx.TransportError:
                unsure = True  # it may have been applied: the next try tells
                _note("Prefect did not answer a Resume: resent")
                continue
            if answer.status_code < 500:
                break
            _note(f"Prefect answered {answer.status_code} to a Resume: resent")
        if answer is None or answer.status_code >= 500:
            return _answer(503, "Prefect is too busy to take the Resume now: nothing was recorded, submit it again")
        if unsure and b'"ABORT"' in answer.body and await self.form(run_id) is None:
            answer = JSONResponse({"state": None, "status": "ACCEPT", "details": {"type": "accept_details"}})
        if b'"ACCEPT"' in answer.body:
            await self.settled(run_id)
        return answer

    async def settled(self, run_id: str) -> None:
        """Wait (at most SETTLE s) until the resumed run is no longer "Resuming" or running,
        so that the run page, which re-reads the run when the dialog closes, shows its next
        stage at once."""
        until = time.monotonic() + SETTLE
        while time.monotonic() < until:
            await asyncio.sleep(0.15)
            run = await self.read(f"/api/flow_runs/{run_id}")
            state = (run.json() or {}).get("state") or {} if run.status_code == 200 else {}
            if state.get("type") not in _MOVING:
                return

    async def settings(self) -> Response:
        """The one server setting Prefect's UI reads, under the name it reads it by."""
        found = await self.read(_SETTINGS)
        ui = ((found.json() or {}).get("server") or {}).get("ui") or {} if found.status_code == 200 else {}
        return JSONResponse({"PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": bool(ui.get("show_promotional_content"))})

    async def form(self, run_id: str) -> dict | None:
        """The Resume form of the run's paused state (its JSON schema), or None."""
        run = await self.read(f"/api/flow_runs/{run_id}")
        state = (run.json() or {}).get("state") or {} if run.status_code == 200 else {}
        keyset = (state.get("state_details") or {}).get("run_input_keyset") if state.get("type") == "PAUSED" else None
        if not keyset:
            return None
        schema = await self.read(f"/api/flow_runs/{run_id}/input/{keyset['schema']}")
        try:
            return json.loads(schema.text) if schema.status_code == 200 else None
        except ValueError:
            return None

    async def read(self, path: str) -> httpx.Response:
        """A GET of the gate's own, with the service login; resent while Prefect is busy."""
        for delay in (0, *READ_DELAYS):
            await asyncio.sleep(delay)
            try:
                answer = await self.upstream.get(path, headers={"Authorization": self.service})
            except httpx.TransportError:
                continue
            if answer.status_code < 500:
                return answer
        return httpx.Response(503)

    async def forward(self, request: Request, body: bytes, delays: tuple = ()) -> Response:
        for delay in (0, *delays):
            await asyncio.sleep(delay)
            try:
                answer = await self.send(request, body)
            except httpx.TransportError:
                answer = _answer(502, "Prefect's server does not answer now: try again in a moment")
            if answer.status_code not in (500, 502, 503):
                break
        return answer

    async def send(self, request: Request, body: bytes) -> Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        if request.url.path.startswith("/api/"):
            headers["Authorization"] = self.service
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        answer = await self.upstream.request(request.method, url, content=body, headers=headers)
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=kept)


def _into_page(answer: Response) -> Response:
    """Prefect's index.html with _INTO_PAGE first in its head; any other file as it is."""
    if not answer.headers.get("content-type", "").startswith("text/html") or b"<head>" not in answer.body:
        return answer
    headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "etag")}
    body = answer.body.replace(b"<head>", b"<head>" + _INTO_PAGE, 1)
    return Response(body, status_code=answer.status_code, headers=headers)


def _note(line: str) -> None:
    """A line in the gate's log (MEDSTAY_HOME/logs/gate.log): what happened, never what was sent."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} gate: {line}", file=sys.stderr, flush=True)


def _reject(reason: str) -> JSONResponse:
    """Refused before Prefect: the UI shows `reason` as it shows Prefect's own refusals."""
    return JSONResponse({"state": None, "status": "REJECT", "details": {"type": "reject_details", "reason": reason}})


def _credentials(header: str) -> tuple[str, str]:
    """(code, password) of a Basic header; ("", "") when it is not one."""
    scheme, _, value = header.partition(" ")
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    code, sep, password = decoded.partition(":")
    return (code, password) if scheme == "Basic" and sep and accounts.CODE_RE.match(code) else ("", "")


def _allowed(method: str, path: str) -> bool:
    if path.startswith(_CLOSED):
        return False
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return method == "POST" and bool(_READ_POST.match(path) or _RESUME.match(path))


async def _body(request: Request) -> bytes | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return body


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main() -> None:
    """`python -m deployments.gate PORT [WRITERS]` (Resumes handed to Prefect at once: 1 on
    its embedded SQLite), with PREFECT_API_URL (Prefect's private address)
    and PREFECT_API_AUTH_STRING (the service login) in the environment, as `medstay up` sets."""
    import uvicorn

    port, writers = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    upstream = os.environ["PREFECT_API_URL"].removesuffix("/api")
    gate = Gate(upstream, os.environ["PREFECT_API_AUTH_STRING"], writers)
    # No access log: a URL may hold whatever a client typed.
    uvicorn.run(gate, host="127.0.0.1", port=port, access_log=False, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
