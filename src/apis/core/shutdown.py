"""Stopping a long-running program on SIGTERM or Ctrl-C, without the deadlock of a signal handler.

A Python signal handler runs in the main thread between two bytecodes. A handler that sets a
``threading.Event`` takes the event's lock; when the signal lands while the main thread itself holds that lock
(on its way into or out of ``event.wait()``), the handler waits for it for ever and the program never stops.
The window is small, but a service manager's stop must never depend on it. Here the signals are blocked in
every thread and one watcher thread takes them with ``sigwait``, so ``stop`` runs in an ordinary thread.
"""

import signal
import threading
from collections.abc import Callable

STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def stop_on_signals(stop: Callable[[], None], signals: frozenset[int] = STOP_SIGNALS) -> None:
    """Call ``stop`` (once) when one of ``signals`` arrives.

    Call it at the start of the program, before it starts any thread: threads inherit the blocked signals,
    and one started before could otherwise receive SIGTERM and end the process without ``stop``. A signal
    that the parent process ignores (``SIG_IGN``, e.g. SIGINT of a shell's background job) stays ignored.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)

    def watch() -> None:
        signal.sigwait(signals)
        stop()

    threading.Thread(target=watch, name="stop-signals", daemon=True).start()
