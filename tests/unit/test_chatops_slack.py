"""The Slack adapter over real HTTP on loopback, with requests signed as Slack signs them.

A stand-in for Slack's Web API (auth.test, chat.postMessage) and for the response_url
runs on 127.0.0.1 too: nothing leaves this machine.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from slack_sdk import WebClient

from chatops.adapters.slack import APPROVE, build_app, make_wsgi_server
from chatops.bot import Bot
from tests.helpers.botproject import SECRETS, make_project

SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"  # noqa: S105 - this test app's own, signs nothing real
TOKEN = "xoxb-test-token-not-real"  # noqa: S105 - reaches only the stand-in on loopback


class FakeSlack(BaseHTTPRequestHandler):
    """Slack's Web API and response URLs, as far as the bot uses them; every call recorded."""

    calls: ClassVar[list[tuple[str, dict]]] = []

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            body = json.loads(raw or "{}")
        else:
            body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        type(self).calls.append((self.path, body))
        answer = {"ok": True}
        if self.path.endswith("/auth.test"):
            answer |= {"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0001", "team": "deenify"}
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slack():
    FakeSlack.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSlack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def bot(tmp_path):
    return Bot(make_project(tmp_path / "project"))


@pytest.fixture
def adapter(bot, slack):
    client = WebClient(token=TOKEN, base_url=f"http://127.0.0.1:{slack.server_port}/api/")
    server = make_wsgi_server(build_app(bot, SIGNING_SECRET, TOKEN, client=client), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def send(adapter, body: str, timestamp: int | None = None, signature: str | None = None) -> tuple[int, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(timestamp)}
    if signature != "":
        headers["X-Slack-Signature"] = signature or sign(body, timestamp)
    connection = http.client.HTTPConnection("127.0.0.1", adapter.server_port, timeout=10)
    connection.request("POST", "/slack/events", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode()


def slash(slack, user: str, text: str) -> str:
    return urllib.parse.urlencode({
        "command": "/deenify", "text": text, "user_id": user, "user_name": user.lower(), "channel_id": "C0DEPLOYS",
        "team_id": "T0001", "response_url": f"http://127.0.0.1:{slack.server_port}/response/1",
        "trigger_id": "1.2.3",
    })  # fmt: skip


def button(slack, user: str, action: str, value: str) -> str:
    payload = {
        "type": "block_actions", "user": {"id": user}, "team": {"id": "T0001"}, "channel": {"id": "C0DEPLOYS"},
        "response_url": f"http://127.0.0.1:{slack.server_port}/response/2", "trigger_id": "1.2.4",
        "actions": [{"action_id": action, "block_id": "b", "type": "button", "value": value}],
    }  # fmt: skip
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    return predicate()


def responses(prefix: str = "/response/") -> list[dict]:
    return [body for path, body in FakeSlack.calls if path.startswith(prefix)]


def posted() -> list[str]:
    return [body.get("text", "") for path, body in FakeSlack.calls if path.endswith("/chat.postMessage")]


def test_a_slash_command_is_acknowledged_at_once_and_its_job_reports_to_the_channel(adapter, slack, bot):
    started = time.monotonic()
    status, _ = send(adapter, slash(slack, "UAMINA", "deploy local v2"))
    acknowledged = time.monotonic() - started
    assert status == 200
    assert acknowledged < 3, f"acknowledged after {acknowledged:.1f} s"
    answer = wait_for(responses, 10)
    assert answer, FakeSlack.calls
    assert "started: deploy local v2 by amina" in answer[0]["text"], answer
    assert wait_for(lambda: [t for t in posted() if "successful after" in t], 60), posted()
    for secret in SECRETS.values():
        assert not [t for t in posted() if secret in t], "a vault value reached Slack"
    assert any("play: Deploy" in t for t in posted()), posted()


@pytest.mark.parametrize(
    ("timestamp_offset", "signature", "why"),
    [
        pytest.param(0, "v0=" + "0" * 64, "forged", id="forged"),
        pytest.param(0, "", "unsigned", id="unsigned"),
        pytest.param(-301, None, "five minutes old", id="old"),
        pytest.param(+301, None, "five minutes ahead", id="ahead"),
    ],
)
def test_forged_unsigned_and_stale_requests_get_401_and_run_nothing(
    adapter, slack, bot, timestamp_offset, signature, why
):
    body = slash(slack, "UAMINA", "deploy local v2")
    status, _ = send(adapter, body, int(time.time()) + timestamp_offset, signature)
    assert status == 401, f"a {why} request was answered {status}"
    time.sleep(0.5)
    assert bot.jobs.jobs() == [], "a refused request started a job"


def test_a_request_signed_with_another_secret_gets_401(adapter, slack, bot):
    body = slash(slack, "UAMINA", "status local")
    now = int(time.time())
    wrong = sign(body, now, secret="another-apps-signing-secret")  # noqa: S106 - a wrong one on purpose
    status, _ = send(adapter, body, now, wrong)
    assert status == 401


def test_a_replayed_request_gets_401(adapter, slack, bot):
    body = slash(slack, "UAMINA", "status local")
    now = int(time.time())
    first, _ = send(adapter, body, now, sign(body, now))
    again, text = send(adapter, body, now, sign(body, now))
    assert (first, again) == (200, 401), text
    assert "replayed" in text
    assert wait_for(lambda: bot.jobs.jobs(), 10)
    assert len(bot.jobs.jobs()) == 1


def test_a_restore_in_production_offers_buttons_and_runs_when_a_second_admin_approves(adapter, slack, bot):
    status, _ = send(adapter, slash(slack, "UAMINA", "restore production 4f2a9c1e"))
    assert status == 200
    answer = wait_for(responses, 10)
    assert answer, FakeSlack.calls
    buttons = json.loads(answer[0]["blocks"]) if isinstance(answer[0].get("blocks"), str) else answer[0]["blocks"]
    approve = [e for block in buttons if block["type"] == "actions" for e in block["elements"]]
    assert [e["action_id"] for e in approve] == ["deenify_approve", "deenify_deny"], buttons
    request = approve[0]["value"]
    assert bot.jobs.jobs() == []

    # The requester's own click is refused; a second admin's starts the job.
    send(adapter, button(slack, "UAMINA", APPROVE, request))
    refused = wait_for(lambda: [b for b in responses("/response/2") if "second person" in b.get("text", "")], 10)
    assert refused, responses("/response/2")
    assert bot.jobs.jobs() == []
    send(adapter, button(slack, "URAFIQ", APPROVE, request))
    started = wait_for(lambda: [b for b in responses("/response/2") if "approved by rafiq" in b.get("text", "")], 10)
    assert started, responses("/response/2")
    job = bot.jobs.jobs()[0]
    assert job.wait(60)
    assert job.status == "successful"


def test_a_button_value_is_parsed_like_any_command(adapter, slack, bot):
    send(adapter, button(slack, "URAFIQ", APPROVE, "0a1b2c3d; deploy production"))
    answer = wait_for(lambda: responses("/response/2"), 10)
    assert answer, FakeSlack.calls
    assert "only letters, digits, spaces" in answer[0]["text"], answer
    assert bot.jobs.jobs() == []
