"""Light sessions: signed-in people who speak Streamlit's own WebSocket protocol instead of a browser.

A :class:`LightSession` does what the browser does for a person who signs in and leaves Today open,
with the ``streamlit.proto`` messages the browser sends and reads:

1. ``GET /`` (through the balancer: it answers with the process cookie, which pins the session);
2. opens ``/_stcore/stream`` (subprotocol ``streamlit``) and sends ``BackMsg.rerun_script`` for the
   home page — the first page run, which draws the sign-in form;
3. finds the sign-in form's widgets in the ``ForwardMsg`` deltas (the ``Email`` and ``Password``
   text inputs and the ``Sign in`` submit button of one form) and sends their values with the
   button's trigger, as the browser does when the form is submitted;
4. waits for Today (a delta carrying ``fb-spent-today``) and then stays idle, answering each
   ``auto_rerun`` (the change poller's ``st.fragment(run_every=…)`` timer, which runs in the
   browser) with a fragment rerun every interval, as an open tab does.

It renders nothing, so hundreds fit in one Python process beside a few real browsers. Counts of
fragment reruns sent and of page runs finished are kept for the benchmark.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

PROCESS_COOKIE = "FB_PROCESS"
TODAY_MARK = "fb-spent-today"


class SignInFailed(Exception):
    pass


@dataclass
class LightSession:
    base: str  # http://host:port
    email: str
    password: str
    process: str | None = None  # the balancer's cookie value, once known
    signed_in: bool = False
    fragment_reruns: int = 0
    runs_finished: int = 0
    errors: list[str] = field(default_factory=list)
    _ws: object | None = None
    _page_hash: str = ""
    _timers: dict[str, asyncio.Task] = field(default_factory=dict)
    _reader: asyncio.Task | None = None
    _today = None  # asyncio.Event, made on the running loop
    figures: list[tuple[float, str]] = field(default_factory=list)  # (wall clock ms, Today's tiles) as each arrived

    # --- HTTP: the balancer's cookie ----------------------------------------------------------
    async def _process_cookie(self) -> str | None:
        parts = urlsplit(self.base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        writer.write(
            f"GET / HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\nUser-Agent: light-session\r\n\r\n".encode()
        )
        await writer.drain()
        head = (await reader.read(65536)).split(b"\r\n\r\n", 1)[0].decode("latin-1")
        writer.close()
        for line in head.split("\r\n"):
            if line.lower().startswith("set-cookie:") and f"{PROCESS_COOKIE}=" in line:
                return line.split(f"{PROCESS_COOKIE}=", 1)[1].split(";", 1)[0]
        return None

    # --- the protocol ---------------------------------------------------------------------
    def _client_state(self, widgets: list[WidgetState] | None = None, fragment_id: str = "") -> ClientState:
        state = ClientState(
            query_string="", page_script_hash=self._page_hash, fragment_id=fragment_id, is_auto_rerun=bool(fragment_id)
        )
        state.context_info.timezone = "UTC"
        state.context_info.timezone_offset = 0
        state.context_info.locale = "en-US"
        state.context_info.url = self.base + "/"
        if widgets:
            state.widget_states.widgets.extend(widgets)
        return state

    async def _send_rerun(self, state: ClientState) -> None:
        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        await self._ws.send(msg.SerializeToString())  # type: ignore[attr-defined]

    async def _messages(self):
        async for raw in self._ws:  # type: ignore[attr-defined]
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            yield msg

    async def sign_in(self, timeout_s: float = 120.0) -> None:
        """Open a session, submit the sign-in form, wait for Today; then keep answering the poller."""
        self._today = asyncio.Event()
        self.process = await self._process_cookie()
        parts = urlsplit(self.base)
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}"}
        if self.process:
            headers["Cookie"] = f"{PROCESS_COOKIE}={self.process}"
        self._ws = await connect(
            f"ws://{parts.netloc}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,
            open_timeout=timeout_s,
        )
        messages = self._messages()
        await self._send_rerun(self._client_state())
        form = await asyncio.wait_for(self._find_sign_in_form(messages), timeout_s)
        await self._send_rerun(
            self._client_state(
                [
                    WidgetState(id=form["email"], string_value=self.email),
                    WidgetState(id=form["password"], string_value=self.password),
                    WidgetState(id=form["submit"], trigger_value=True),
                ]
            )
        )
        self._reader = asyncio.create_task(self._read(messages))
        try:
            await asyncio.wait_for(self._today.wait(), timeout_s)
        except TimeoutError:
            raise SignInFailed(f"{self.email}: Today did not appear after signing in ({self.errors[-3:]})") from None
        self.signed_in = True

    async def _find_sign_in_form(self, messages) -> dict[str, str]:
        inputs: dict[str, dict[str, str]] = {}  # form id → label → widget id
        async for msg in messages:
            self._note(msg)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                which = el.WhichOneof("type")
                if which == "text_input" and el.text_input.form_id:
                    inputs.setdefault(el.text_input.form_id, {})[el.text_input.label] = el.text_input.id
                elif which == "button" and el.button.is_form_submitter and el.button.label == "Sign in":
                    fields = inputs.get(el.button.form_id, {})
                    if "Email" in fields and "Password" in fields:
                        return {"email": fields["Email"], "password": fields["Password"], "submit": el.button.id}
            elif kind == "script_finished":
                raise SignInFailed(f"{self.email}: the first page run drew no sign-in form")
        raise SignInFailed(f"{self.email}: the connection closed before the sign-in form")

    def _note(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._page_hash = msg.new_session.page_script_hash or msg.new_session.main_script_hash
        elif kind == "script_finished":
            self.runs_finished += 1
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.errors.append("script compilation exception")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            which = el.WhichOneof("type")
            if which == "markdown" and TODAY_MARK in el.markdown.body and self._today is not None:
                self._today.set()
                self.figures.append((time.time() * 1000, el.markdown.body))
            elif which == "exception":
                self.errors.append(el.exception.message[:200])
        elif kind == "auto_rerun":
            self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for task in self._timers.values():
                task.cancel()
            self._timers.clear()

    def _start_timer(self, fragment_id: str, interval_s: float) -> None:
        old = self._timers.pop(fragment_id, None)
        if old is not None:
            old.cancel()
        self._timers[fragment_id] = asyncio.create_task(self._tick(fragment_id, interval_s))

    async def _tick(self, fragment_id: str, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self._send_rerun(self._client_state(fragment_id=fragment_id))
                self.fragment_reruns += 1
            except Exception as err:  # the connection went away: stop ticking
                self.errors.append(f"tick: {type(err).__name__}")
                return

    async def _read(self, messages) -> None:
        try:
            async for msg in messages:
                self._note(msg)
        except Exception as err:
            self.errors.append(f"read: {type(err).__name__}: {err}")

    async def close(self) -> None:
        for task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()  # type: ignore[attr-defined]
        if self._reader is not None:
            self._reader.cancel()


async def open_sessions(base: str, emails: list[str], password: str, *, parallel: int = 6) -> list[LightSession]:
    """Sign ``emails`` in as light sessions, ``parallel`` at a time; the signed-in sessions."""
    sessions = [LightSession(base, email, password) for email in emails]
    gate = asyncio.Semaphore(parallel)

    async def one(s: LightSession) -> None:
        async with gate:
            await s.sign_in()

    results = await asyncio.gather(*(one(s) for s in sessions), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise SignInFailed(f"{len(failed)} of {len(sessions)} light sessions failed to sign in; first: {failed[0]!r}")
    return sessions


async def _demo(base: str, email: str, password: str, seconds: float) -> None:
    s = LightSession(base, email, password)
    t0 = time.monotonic()
    await s.sign_in()
    print(f"signed in on {s.process} in {time.monotonic() - t0:.2f} s; runs {s.runs_finished}")
    await asyncio.sleep(seconds)
    print(f"after {seconds:.0f} s idle: {s.fragment_reruns} fragment reruns, {s.runs_finished} runs, errors {s.errors}")
    await s.close()


if __name__ == "__main__":
    import sys

    asyncio.run(_demo(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 12))
