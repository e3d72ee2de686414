"""`buurtbot run --workers N`: start N bot processes, restart any that dies, stop them together."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("buurtbot.workers")

# A worker that dies sooner than this after starting is restarted after a growing pause.
STABLE_AFTER = 10.0
MAX_RESTART_PAUSE = 30.0
STOP_GRACE = 30.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Linux: a worker gets SIGTERM if the supervisor itself is killed, so none is orphaned.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Worker:
    """One child process and its restart history."""

    number: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    restart_at: float = 0.0


@dataclass
class Supervisor:
    """Keeps N workers running the same command until told to stop."""

    count: int
    command: Sequence[str]
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], float] = time.monotonic
    workers: list[Worker] = field(default_factory=list)
    stopping: bool = False

    def start(self) -> None:
        """Start every worker."""
        self.workers = [Worker(number) for number in range(1, self.count + 1)]
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: Worker) -> None:
        worker.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            list(self.command), env=self.env, preexec_fn=_die_with_parent
        )
        worker.started = self.clock()
        log.info("worker %d started (pid %d)", worker.number, worker.process.pid)

    def pids(self) -> list[int]:
        """Return the pids of the running workers."""
        return [w.process.pid for w in self.workers if w.process and w.process.poll() is None]

    def check(self) -> None:
        """Restart workers that died; called regularly by run()."""
        now = self.clock()
        for worker in self.workers:
            process = worker.process
            if process is None:
                if not self.stopping and now >= worker.restart_at:
                    self._spawn(worker)
                continue
            code = process.poll()
            if code is None or self.stopping:
                continue
            lived = now - worker.started
            worker.quick_deaths = worker.quick_deaths + 1 if lived < STABLE_AFTER else 0
            pause = (
                min(MAX_RESTART_PAUSE, 0.5 * 2**worker.quick_deaths) if worker.quick_deaths else 0
            )
            log.warning(
                "worker %d (pid %d) exited with %s; restarting in %.1f s",
                worker.number,
                process.pid,
                code,
                pause,
            )
            worker.process = None
            worker.restart_at = now + pause

    def stop(self) -> None:
        """Ask every worker to stop; kill those still running after the grace period."""
        self.stopping = True
        running = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = self.clock() + STOP_GRACE
        for process in running:
            try:
                process.wait(max(0.1, deadline - self.clock()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %d did not stop in time; killing it", process.pid)
                process.kill()
                process.wait()

    def run(self) -> None:
        """Start the workers and keep them running until SIGTERM or SIGINT."""
        received: list[int] = []

        def on_signal(signum: int, _frame: object) -> None:
            received.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not received:
                self.check()
                time.sleep(0.2)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def worker_command(webhook: str | None, port: int | None) -> list[str]:
    """Return the command one worker runs: the same bot, one process."""
    command = [sys.executable, "-m", "bot.runtime.cli", "run"]
    if webhook:
        command += ["--webhook", webhook, "--port", str(port)]
    return command
