"""The command-line adapter: one command, its progress and its summary on the terminal.

    deenify-bot --config bot.yml cli --user U01AMINA deploy staging v2.3.1

The exit status says how it went: 0 the job succeeded (or the command needed no job),
1 the job failed or was canceled, 2 the command was refused, 3 it waits for approval.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from chatops.bot import Bot


def run(bot: Bot, user: str, words: Sequence[str], out: TextIO = sys.stdout) -> int:
    lock = threading.Lock()

    def post(text: str) -> None:
        with lock:
            print(text, file=out, flush=True)

    reply = bot.handle(user, " ".join(words), post)
    post(reply.text)
    if not reply.ok:
        return 2
    if reply.approval:
        return 3
    job = reply.job
    if job is None:
        return 0

    # Ctrl-C asks the job to stop at its next task, as `cancel <job>` does.
    def interrupt(_signum: int, _frame: object) -> None:
        post(bot.handle(user, f"cancel {job.id}", post).text)

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        while not job.wait(0.2):
            pass
    finally:
        signal.signal(signal.SIGINT, previous)
    return 0 if job.status == "successful" else 1
