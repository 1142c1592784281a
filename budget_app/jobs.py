"""Work that must not run on a session's script thread (reading an uploaded bank file), with a cancel.

``start(name, key, fn, …)`` runs ``fn`` on a small pool of the process's threads and keeps the
job in the session's state; ``fn`` gets a ``threading.Event`` to pass on (the import's isolation
kills the child process reading the file when it is set). ``wait(name)`` draws a fragment that looks
at the job every half second — public ``st.fragment(run_every=…)``, nothing is blocked meanwhile —
shows how long it has been running with a Cancel button, and reruns the page once the job is done.
A job whose key changes (another file, other options) is cancelled and replaced.

The job never touches Streamlit; its result (or typed error) is read back on the script thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import streamlit as st

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="budget-job")
_PREFIX = "fb_job_"


@dataclass
class Job:
    key: Hashable
    future: Future
    cancel: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)

    @property
    def done(self) -> bool:
        return self.future.done()

    def result(self) -> Any:
        """The job's result; re-raises its error (a BudgetError, shown like any other)."""
        return self.future.result()


def current(name: str, key: Hashable | None = None) -> Job | None:
    """The session's job ``name`` (for ``key``, when given)."""
    job = st.session_state.get(_PREFIX + name)
    if job is None or (key is not None and job.key != key):
        return None
    return job


def start(name: str, key: Hashable, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """Run ``fn(*args, cancel=<Event>, **kwargs)`` off the script thread, replacing (and cancelling)
    the session's previous job ``name`` unless it had the same ``key``."""
    existing = current(name)
    if existing is not None:
        if existing.key == key and not existing.cancel.is_set():
            return existing
        existing.cancel.set()
    cancel = threading.Event()
    job = Job(key, _POOL.submit(fn, *args, cancel=cancel, **kwargs), cancel)
    st.session_state[_PREFIX + name] = job
    return job


def forget(name: str) -> None:
    """Cancel the session's job ``name`` (if running) and drop it."""
    job = st.session_state.pop(_PREFIX + name, None)
    if job is not None:
        job.cancel.set()


def cancel(name: str) -> None:
    """The person cancelled job ``name``: stop it, and remember its key so it is not simply started again."""
    job = current(name)
    if job is not None:
        st.session_state[_PREFIX + "cancelled_" + name] = job.key
    forget(name)


def cancelled(name: str, key: Hashable) -> bool:
    """Whether the person cancelled job ``name`` for ``key`` (and has not asked for it again)."""
    return st.session_state.get(_PREFIX + "cancelled_" + name) == key


def again(name: str) -> None:
    """Allow job ``name`` to start again after a cancel."""
    st.session_state.pop(_PREFIX + "cancelled_" + name, None)


@st.fragment(run_every=timedelta(milliseconds=500))
def wait(name: str, doing: str) -> None:
    """While the job runs: '``doing``… N s' and a Cancel button; once done, rerun the page."""
    job = current(name)
    if job is None:
        return
    if job.done:
        st.rerun(scope="app")
    box = st.container(border=True)
    box.markdown(f"{doing}… {time.monotonic() - job.started:.0f} s")
    if box.button("Cancel", key=f"cancel_{name}", icon=":material/cancel:"):
        cancel(name)
        st.rerun(scope="app")
