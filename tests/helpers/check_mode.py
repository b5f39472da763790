"""Read the report of a --check run (ansible.posix.json callback) for drift."""

from __future__ import annotations

import json


def json_report(stdout: str) -> dict:
    """The JSON report in ``stdout``; other callbacks (profile_tasks) may print around it."""
    if stdout.startswith("{\n"):
        start = 0
    else:
        newline_brace = stdout.find("\n{\n")
        if newline_brace < 0:
            raise ValueError(f"no JSON report in the output:\n{stdout[-3000:]}")
        start = newline_brace + 1
    report, _ = json.JSONDecoder().raw_decode(stdout[start:])
    return report


def changed_hosts(report: dict) -> dict[str, int]:
    """Hosts whose check run would change something, with the number of changes."""
    return {host: stats["changed"] for host, stats in report.get("stats", {}).items() if stats.get("changed")}


def changed_tasks(report: dict) -> list[str]:
    """One line per task and host that would change, with its diff (shortened)."""
    lines = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                if result.get("changed"):
                    diff = json.dumps(result.get("diff", ""), indent=1)[:1500]
                    lines.append(f"{host}: {task['task']['name']}\n  diff: {diff}")
    return lines
