#!/usr/bin/env python3
"""How soon the chat bot answers: from a command to its first messages.

    .venv/bin/python scripts/benchmark_bot.py [--rounds N] [--inventory local] [--budget 1.0]

Each round hands `status <env>` to the bot, as an adapter does, and times four moments
from the call: the immediate answer (the job started), the first progress message
(ansible-runner reports ansible-playbook running), the first play (its first event) and
the summary. Without --inventory the
command runs against a small project on localhost (tests/helpers/botproject.py), so no
stack is needed; with --inventory local it runs the repository's playbooks/status.yml
against the local stack (`make up` first). A benchmark, not a test: it prints the
figures and exits 1 only when a job fails or the first progress message comes later than
--budget seconds (median).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatops.bot import Bot  # noqa: E402 - after the repository is on sys.path
from chatops.config import Config  # noqa: E402
from chatops.permissions import Policy  # noqa: E402


def one_round(bot: Bot, user: str, environment: str) -> tuple[float, float, float, float, str]:
    first_play = threading.Event()
    times: dict[str, float] = {}

    def post(text: str) -> None:
        times.setdefault("progress", time.perf_counter())
        if "] play: " in text and not first_play.is_set():
            times["play"] = time.perf_counter()
            first_play.set()

    started = time.perf_counter()
    reply = bot.handle(user, f"status {environment}", post)
    answered = time.perf_counter()
    if reply.job is None:
        raise SystemExit(f"the bot refused: {reply.text}")
    reply.job.wait(300)
    ended = time.perf_counter()
    first_play.wait(1)
    progress, play = times.get("progress", ended), times.get("play", ended)
    return answered - started, progress - started, play - started, ended - started, reply.job.status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--inventory", help="an inventory of the repository (local), instead of the small project")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds to the first progress message (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deenify-bot-bench-") as scratch:
        if args.inventory:
            config = Config(state_dir=Path(scratch) / "state", progress_interval=1.0)
            policy = Policy.from_dict(
                {"users": {"UBENCH": {"name": "benchmark", "roles": {args.inventory: "viewer"}}}},
                config.environments(),
            )
            bot, environment = Bot(config, policy), args.inventory
        else:
            from tests.helpers.botproject import make_project

            bot, environment = Bot(make_project(Path(scratch) / "project")), "local"
        user = "UBENCH" if args.inventory else "UAMINA"
        rows = []
        for number in range(1, args.rounds + 1):
            answered, progress, play, ended, status = one_round(bot, user, environment)
            rows.append((answered, progress, play, ended))
            print(f"round {number}: answer {answered * 1000:.0f} ms, first progress {progress * 1000:.0f} ms, "
                  f"first play {play:.2f} s, summary {ended:.2f} s ({status})")  # fmt: skip
            if status != "successful":
                print(f"benchmark: the job ended {status}", file=sys.stderr)
                return 1
    answer, progress, play, ended = (statistics.median(column) for column in zip(*rows, strict=True))
    print(f"median of {args.rounds}: answer {answer * 1000:.0f} ms, first progress {progress * 1000:.0f} ms "
          f"(budget {args.budget:.1f} s), first play {play:.2f} s, summary {ended:.2f} s")  # fmt: skip
    return 0 if progress <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
