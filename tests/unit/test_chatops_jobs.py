"""The bot runs playbooks through ansible-runner for real, on localhost.

Each test builds a small project (tests/helpers/botproject.py) whose inventories hold
real vault values, and drives the bot as an adapter would.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from chatops.bot import Bot
from tests.helpers.botproject import SECRETS, make_project


class Chat:
    """What the bot posted to the channel, in order, with when."""

    def __init__(self) -> None:
        self.messages: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            self.messages.append((time.monotonic(), text))

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.messages)


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project")


@pytest.fixture
def bot(project):
    return Bot(project)


def run(bot: Bot, user: str, text: str, chat: Chat, timeout: float = 60):
    reply = bot.handle(user, text, chat)
    assert reply.ok, reply.text
    assert reply.job is not None, reply.text
    assert reply.job.wait(timeout), f"job {reply.job.id} still running after {timeout} s: {chat.text}"
    return reply


def every_file(directory) -> str:
    return "\n".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())


def test_a_job_streams_its_progress_and_ends_with_a_summary_per_host(bot):
    chat = Chat()
    started = time.monotonic()
    reply = run(bot, "UAMINA", "deploy local v2.3.1", chat)
    job = reply.job
    assert reply.text.startswith(f"[{job.id}] started: deploy local v2.3.1 by amina")
    assert job.status == "successful", chat.text
    assert f"[{job.id}] play: Deploy" in chat.text
    summary = chat.messages[-1][1]
    assert summary.startswith(f"job {job.id} (deploy local v2.3.1) successful after")
    assert "localhost: ok=4 changed=0 failed=0 unreachable=0" in summary
    # The ref reached the play as data, and the play's own message reached the channel.
    assert any("deploying v2.3.1" in line for line in job.lines), job.lines
    assert f"[{job.id}] localhost: deploying v2.3.1" in chat.text, chat.text
    assert chat.messages[0][0] - started < 5


def test_no_vault_value_reaches_chat_the_audit_log_or_the_kept_artifacts(bot, project):
    chat = Chat()
    job = run(bot, "UAMINA", "deploy local", chat).job
    failed = run(bot, "UAMINA", "rollback local", chat).job
    assert failed.status == "failed"
    log = bot.handle("UAMINA", f"log {job.id}", chat).text
    assert "the password is [redacted]" in log, log
    assert f"[{job.id}] localhost: the password is [redacted]" in chat.text, chat.text
    assert "a message for nobody" not in chat.text, "a no_log task's message reached the channel"
    kept = every_file(project.state_dir)
    for secret in SECRETS.values():
        assert secret not in chat.text
        assert secret not in log
        assert secret not in kept, "a vault value was kept in the artifacts or the audit log"
    assert "[redacted]" in every_file(job.directory)
    # The no_log task's result was censored by Ansible before it reached the events.
    events = [json.loads(p.read_text()) for p in job.directory.rglob("job_events/*.json")]
    assert any(e.get("event_data", {}).get("res", {}).get("censored") for e in events), "no censored no_log result"


def test_a_failed_task_is_named_with_its_message_in_the_summary(bot):
    chat = Chat()
    job = run(bot, "UAMINA", "rollback local", chat).job
    assert job.status == "failed"
    summary = chat.messages[-1][1]
    assert "localhost: ok=0 changed=0 failed=1 unreachable=0" in summary
    assert "failed: localhost: Refuse, naming the secret in the message failed: cannot roll back with [redacted]" in (
        summary
    )
    assert bot.audit.records()[-1] | {"start": None, "end": None} == {
        "event": "finished", "who": "UAMINA", "name": "amina", "command": "rollback", "environment": "local",
        "arguments": {}, "approver": None, "job": job.id, "start": None, "end": None, "result": "failed", "rc": 2,
    }  # fmt: skip


def test_cancel_stops_a_running_job_at_its_next_task(bot):
    chat = Chat()
    reply = bot.handle("URAFIQ", "unlock local", chat)
    job = reply.job
    deadline = time.monotonic() + 30
    while "Wait a long time" not in chat.text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Wait a long time" in chat.text, chat.text
    canceled_at = time.monotonic()
    answer = bot.handle("URAFIQ", f"cancel {job.id}", chat)
    assert answer.ok, answer.text
    assert job.wait(30), "the canceled job did not stop"
    assert time.monotonic() - canceled_at < 20
    assert job.status == "canceled"
    assert "Never reached when canceled" not in chat.text
    assert [r["event"] for r in bot.audit.records()] == ["started", "cancel-requested", "finished"]


def test_one_job_per_environment_the_second_is_refused_naming_the_first(bot):
    chat = Chat()
    first = bot.handle("URAFIQ", "unlock local", chat).job
    try:
        second = bot.handle("UAMINA", "deploy local v2", chat)
        assert not second.ok
        assert f"local is busy with job {first.id} (unlock local, by rafiq" in second.text
        assert f"cancel {first.id}" in second.text
        # Another environment is not held up.
        other = run(bot, "UAMINA", "status production", chat)
        assert other.job.status == "successful"
    finally:
        bot.handle("URAFIQ", f"cancel {first.id}", chat)
        first.wait(30)


def test_only_the_newest_job_directories_are_kept(tmp_path):
    bot = Bot(make_project(tmp_path / "project", keep_jobs=2))
    chat = Chat()
    jobs = [run(bot, "UAMINA", "status local", chat).job for _ in range(3)]
    kept = sorted(p.name for p in (tmp_path / "project" / "state" / "jobs").iterdir())
    assert kept == sorted(j.id for j in jobs[1:])


def test_a_restore_in_production_runs_only_after_a_second_admin_approves(bot):
    chat = Chat()
    asked = bot.handle("UAMINA", "restore production 4f2a9c1e", chat)
    assert asked.ok, asked.text
    assert asked.approval, asked.text
    assert asked.job is None, asked.text
    assert f"approve {asked.approval}" in asked.text
    mine = bot.handle("UAMINA", f"approve {asked.approval}", chat)
    assert not mine.ok
    assert "a second person must approve it" in mine.text
    viewer = bot.handle("UJAMIL", f"approve {asked.approval}", chat)
    assert not viewer.ok
    assert "needs admin in production; jamil has viewer there" in viewer.text
    approved = bot.handle("URAFIQ", f"approve {asked.approval}", chat)
    assert approved.ok, approved.text
    assert "by amina, approved by rafiq" in approved.text
    assert approved.job.wait(60)
    assert approved.job.status == "successful"
    assert any("restoring 4f2a9c1e" in line for line in approved.job.lines)
    started = [r for r in bot.audit.records() if r["event"] == "started"]
    assert [(r["who"], r["approver"], r["arguments"]) for r in started] == [
        ("UAMINA", "URAFIQ", {"snapshot": "4f2a9c1e"})
    ]


def test_a_command_without_its_playbook_says_so_and_runs_nothing(bot, project):
    chat = Chat()
    reply = bot.handle("UAMINA", "backup local db", chat)
    assert not reply.ok
    assert reply.text == "backup is not available yet: playbooks/backup.yml is not in this repository. Nothing was run."
    assert not list((project.state_dir / "jobs").iterdir())
    assert bot.audit.records()[-1]["event"] == "refused"


def test_refusals_are_audited_with_who_and_why(bot):
    chat = Chat()
    reply = bot.handle("UJAMIL", "deploy production v9", chat)
    assert not reply.ok
    record = bot.audit.records()[-1]
    assert (record["event"], record["who"], record["command"], record["arguments"]) == (
        "refused", "UJAMIL", "deploy", {"ref": "v9"},
    )  # fmt: skip
    assert record["result"] == "deploy in production needs admin; jamil has viewer there"
