#!/usr/bin/env python3
"""How long a deploy and a rollback take on the local stack (`make up` first).

    .venv/bin/python scripts/benchmark_deploys.py [--rounds N] [--json FILE]

Each round:
  deploy    playbooks/deploy.yml -e app_force_release=true -e app_reuse_live_build=false:
            a new release of the same commit built from scratch (git, composer, npm), so no
            dependency changes; timed from the command to its exit.
  rollback  playbooks/rollback.yml with no release named, which returns to the release
            served before the deploy: timed from the command to the first response of
            http://localhost:8080/ that carries the previous release's id (traffic
            switched), and to the command's exit.
The stack is left serving the release it served before the first round's deploy, with
the same code. A benchmark, not a test: it prints the figures and exits 1 only when a
run fails or a figure is over its budget (--deploy-budget, --rollback-budget seconds).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INVENTORY = ROOT / "inventories" / "local"
# The web container publishes its port 80 on the controller's loopback (inventories/local).
URL_HOST = "127.0.0.1"
HEADER = "X-Deenify-Release"


def serving(port: int) -> str:
    """The release id that answers http://localhost:<port>/ now; empty when none answers."""
    connection = http.client.HTTPConnection(URL_HOST, port, timeout=5)
    try:
        connection.request("GET", "/", headers={"Host": "localhost"})
        reply = connection.getresponse()
        reply.read()
        return reply.getheader(HEADER) or "" if reply.status == 200 else ""
    except OSError:
        return ""
    finally:
        connection.close()


def playbook(name: str, *extra: str) -> list[str]:
    program = ROOT / ".venv" / "bin" / "ansible-playbook"
    return [str(program), "-i", str(INVENTORY), str(ROOT / "playbooks" / name), *extra]


def run(argv: list[str], log: Path) -> tuple[int, float]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    started = time.monotonic()
    with log.open("ab") as sink:
        rc = subprocess.run(argv, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, check=False).returncode  # noqa: S603 - the venv's ansible-playbook
    return rc, time.monotonic() - started


class SwitchWatch(threading.Thread):
    """Polls the site every 50 ms and notes when ``target`` first answers.

    Every poll is a PHP request on the web host, which the rollback shares two cores
    with: 50 ms keeps the figure's resolution well under the budget without the watch
    itself slowing the rollback it times.
    """

    def __init__(self, port: int, target: str) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.target = target
        self.started = time.monotonic()
        self.switched: float | None = None
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.is_set() and self.switched is None:
            if serving(self.port) == self.target:
                self.switched = time.monotonic() - self.started
            self._finished.wait(0.05)

    def stop(self) -> None:
        self._finished.set()
        self.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="deploy and rollback this many times (default 3)")
    parser.add_argument("--deploy-budget", type=float, default=60.0, help="seconds a deploy may take (default 60)")
    parser.add_argument("--rollback-budget", type=float, default=5.0, help="seconds to the switch (default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--port", type=int, default=8080, help="the local stack's port on loopback (default 8080)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not 1 <= args.port <= 65535:
        parser.error("--port must be between 1 and 65535")
    port = args.port

    log = ROOT / ".cache" / "benchmark-deploys.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    before = serving(port)
    if not before:
        print(f"Nothing answers http://localhost:{port}/ with a release: run `make up` first.", file=sys.stderr)
        return 1

    deploys, switches, rollbacks = [], [], []
    for n in range(1, args.rounds + 1):
        live = serving(port)
        rc, took = run(playbook("deploy.yml", "-e", "app_force_release=true", "-e", "app_reuse_live_build=false"), log)
        new = serving(port)
        if rc != 0 or not new or new == live:
            print(f"round {n}: the deploy failed (rc={rc}, serving {new or 'nothing'}); see {log}", file=sys.stderr)
            return 1
        deploys.append(took)

        watch = SwitchWatch(port, target=live)
        watch.start()
        # Unnamed: the role must find the release that served before this round's deploy.
        rc, took = run(playbook("rollback.yml"), log)
        watch.stop()
        if rc != 0 or watch.switched is None:
            now = serving(port) or "nothing"
            print(f"round {n}: the rollback to {live} failed (rc={rc}, serving {now}); see {log}", file=sys.stderr)
            return 1
        switches.append(watch.switched)
        rollbacks.append(took)
        print(
            f"round {n}: deploy {deploys[-1]:.1f} s; rollback switched after {switches[-1]:.1f} s, done in {took:.1f} s"
        )

    figures = {
        "rounds": args.rounds,
        "deploy_seconds": {"median": statistics.median(deploys), "max": max(deploys)},
        "rollback_switch_seconds": {"median": statistics.median(switches), "max": max(switches)},
        "rollback_seconds": {"median": statistics.median(rollbacks), "max": max(rollbacks)},
    }
    over = []
    if max(deploys) > args.deploy_budget:
        over.append(f"deploy {max(deploys):.1f} s > {args.deploy_budget:.0f} s")
    if max(switches) > args.rollback_budget:
        over.append(f"rollback to the switch {max(switches):.1f} s > {args.rollback_budget:.0f} s")
    figures["over_budget"] = over
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"serving {serving(port)} (before the benchmark: {before}); playbook output in {log}")
    for line in over:
        print(f"OVER BUDGET: {line}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
