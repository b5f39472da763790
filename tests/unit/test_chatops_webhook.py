"""The signed webhook, over real HTTP on 127.0.0.1, in front of a real bot.

Requests are signed here as the adapter's docstring tells a sender to; a second small
server on 127.0.0.1 stands in for the chat's incoming webhook and records what it gets.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chatops.adapters.webhook import MAX_BODY, RequestError, SeenSignatures, WebhookError, WebhookServer
from chatops.bot import Bot
from tests.helpers.botproject import SECRETS, make_project

SECRET = b"webhook-secret-for-the-tests-4c1d9e"
NOW = 1_750_000_000  # the webhook's clock in these tests, so the window's edges are exact


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class _CaptureHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server: Capture = self.server  # type: ignore[assignment]
        server.record(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


class Capture(ThreadingHTTPServer):
    """The chat's incoming webhook: every body posted to it, raw."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CaptureHandler)
        self.bodies: list[bytes] = []
        self._arrived = threading.Condition()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/hooks/the-key-of-the-hook"

    def record(self, body: bytes) -> None:
        with self._arrived:
            self.bodies.append(body)
            self._arrived.notify_all()

    def texts(self) -> list[str]:
        with self._arrived:
            return [json.loads(body)["text"] for body in self.bodies]

    def wait_for(self, seen: Callable[[list[str]], bool], timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not seen([json.loads(body)["text"] for body in self.bodies]):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(10)
        close = getattr(server, "close", server.server_close)
        close()


@dataclass
class Answer:
    status: int
    body: dict
    raw: str
    headers: dict[str, str]


def signed(body: bytes, timestamp: int = NOW, secret: bytes = SECRET) -> dict[str, str]:
    """The headers the docstring asks for: HMAC-SHA256 of "<timestamp>.<body>", in hex."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Deenify-Timestamp": str(timestamp), "X-Deenify-Signature": f"sha256={mac}"}


def command(user: str, text: str) -> bytes:
    return json.dumps({"user": user, "text": text}).encode()


def send(
    server: WebhookServer,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/command",
) -> Answer:
    host, port = server.server_address[:2]
    assert host == "127.0.0.1", host
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        raw = response.read().decode()
    finally:
        connection.close()
    return Answer(response.status, json.loads(raw) if raw else {}, raw, dict(response.getheaders()))


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def bot(tmp_path):
    bot = Bot(make_project(tmp_path / "project"))
    yield bot
    for job in bot.jobs.jobs():
        job.wait(60)


@pytest.fixture
def capture():
    with serving(Capture()) as server:
        yield server


@pytest.fixture
def webhook(bot, capture):
    with serving(WebhookServer(bot, "127.0.0.1", 0, SECRET, post_url=capture.url, clock=Clock(NOW))) as server:
        yield server


def test_a_signed_status_answers_at_once_and_its_summary_reaches_the_chat(webhook, bot, capture):
    body = command("UAMINA", "status local")
    started = time.monotonic()
    answer = send(webhook, body, signed(body))
    took = time.monotonic() - started
    assert answer.status == 200, answer
    assert answer.body["ok"] is True, answer
    assert took < 3, f"the answer took {took:.1f} s: {answer}"
    job = bot.jobs.get(answer.body["job"] or "")
    assert job is not None, f"no job {answer.body['job']!r} in the bot: {answer}"
    assert answer.body["text"].startswith(f"[{job.id}] started: status local by amina"), answer
    assert answer.body["approval"] is None, answer
    assert job.wait(60), f"job {job.id} still runs after 60 s; the chat got {capture.texts()}"
    assert job.status == "successful", (job.status, capture.texts())
    summary = f"job {job.id} (status local) successful after"
    arrived = capture.wait_for(lambda texts: any(t.startswith(summary) for t in texts))
    assert arrived, f"no summary reached the chat; it got {capture.texts()}"
    texts = capture.texts()
    assert f"[{job.id}] play: Status" in texts, texts
    assert any("localhost: ok=1 changed=0 failed=0" in t for t in texts if t.startswith(summary)), texts
    shapes = [sorted(json.loads(b)) for b in capture.bodies]
    assert all(shape == ["text"] for shape in shapes), shapes


def test_the_documented_openssl_command_signs_a_request_the_webhook_accepts(webhook):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    body = command("UAMINA", "help")
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET.decode(), "-r"],
        input=f"{NOW}.".encode() + body, capture_output=True, check=True, timeout=30,
    ).stdout.decode().split(" ")[0]  # fmt: skip
    headers = {"X-Deenify-Timestamp": str(NOW), "X-Deenify-Signature": f"sha256={digest}"}
    answer = send(webhook, body, headers)
    assert answer.status == 200, answer
    assert answer.body["ok"] is True, answer
    assert "deploy <env> [ref]" in answer.body["text"], answer


def _forged(body: bytes) -> dict[str, str]:
    headers = signed(body)
    last = headers["X-Deenify-Signature"][-1]
    headers["X-Deenify-Signature"] = headers["X-Deenify-Signature"][:-1] + ("0" if last != "0" else "1")
    return headers


@pytest.mark.parametrize(
    ("make_headers", "why"),
    [
        pytest.param(_forged, "bad signature", id="forged"),
        pytest.param(lambda body: {"X-Deenify-Timestamp": str(NOW)}, "missing signature", id="missing"),
        pytest.param(lambda body: signed(body, secret=b"another-secret-of-16-bytes-or-more"), "bad signature",
                     id="another-secret"),
        pytest.param(lambda body: signed(command("UAMINA", "help")), "bad signature", id="another-body"),
        pytest.param(lambda body: {**signed(body), "X-Deenify-Timestamp": str(NOW + 1)}, "bad signature",
                     id="another-timestamp"),
        pytest.param(lambda body: {"X-Deenify-Signature": signed(body)["X-Deenify-Signature"]}, "missing timestamp",
                     id="no-timestamp"),
        pytest.param(lambda body: {**signed(body), "X-Deenify-Timestamp": "soon"}, "bad timestamp",
                     id="timestamp-not-a-number"),
        pytest.param(lambda body: {**signed(body), "X-Deenify-Timestamp": f"{NOW}.5"}, "bad timestamp",
                     id="timestamp-not-whole"),
    ],
)  # fmt: skip
def test_a_request_not_signed_with_the_secret_is_refused_and_runs_nothing(webhook, bot, make_headers, why):
    body = command("UAMINA", "status local")
    answer = send(webhook, body, make_headers(body))
    assert answer.status == 401, answer
    assert answer.body["error"].startswith(why), answer
    assert bot.jobs.jobs() == [], "a refused request started a job"


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_more_than_300_s_away_is_refused(webhook, offset):
    body = command("UAMINA", "help")
    answer = send(webhook, body, signed(body, NOW + offset))
    assert answer.status == 401, answer
    assert answer.body["error"].startswith("timestamp more than 300 s from now"), answer
    assert "clock" in answer.body["error"], answer


@pytest.mark.parametrize("offset", [-300, 300])
def test_a_timestamp_300_s_away_is_still_good(webhook, offset):
    body = command("UAMINA", "help")
    answer = send(webhook, body, signed(body, NOW + offset))
    assert answer.status == 200, answer
    assert answer.body["ok"] is True, answer


def test_the_same_signed_request_twice_is_refused_the_second_time(webhook):
    body = command("UAMINA", "help")
    headers = signed(body)
    first = send(webhook, body, headers)
    second = send(webhook, body, headers)
    assert first.status == 200, first
    assert second.status == 401, second
    assert second.body["error"].startswith("replayed request"), second
    # The same command, signed afresh, is a new request.
    third = send(webhook, body, signed(body, NOW + 1))
    assert third.status == 200, third


def test_seen_signatures_are_forgotten_once_out_of_the_window_and_are_bounded():
    seen = SeenSignatures(window=300, limit=2)
    seen.add("sha256=aa", NOW, NOW)
    seen.add("sha256=bb", NOW + 100, NOW + 100)
    with pytest.raises(RequestError) as full:
        seen.add("sha256=cc", NOW + 200, NOW + 200)
    assert full.value.status == 429, full.value.message
    with pytest.raises(RequestError) as again:
        seen.add("sha256=aa", NOW, NOW + 250)
    assert again.value.status == 401, again.value.message
    seen.add("sha256=cc", NOW + 301, NOW + 301)  # the first one's timestamp is out of the window now
    assert len(seen) == 2, len(seen)
    seen.add("sha256=dd", NOW + 700, NOW + 700)
    assert len(seen) == 1, len(seen)


def test_a_refused_command_answers_ok_false_with_the_reason(webhook, bot):
    body = command("UJAMIL", "deploy production v1")
    answer = send(webhook, body, signed(body))
    assert answer.status == 200, answer
    assert answer.body["ok"] is False, answer
    assert answer.body["job"] is None, answer
    assert answer.body["text"].startswith("Refused:"), answer
    assert "viewer" in answer.body["text"], answer
    assert bot.jobs.jobs() == [], "a refused command started a job"


def test_a_command_that_needs_approval_names_its_request(webhook, bot):
    body = command("UAMINA", "restore production latest")
    answer = send(webhook, body, signed(body))
    assert answer.status == 200, answer
    assert answer.body["ok"] is True, answer
    assert answer.body["job"] is None, answer
    request = answer.body["approval"]
    assert request, answer
    assert f"approve {request}" in answer.body["text"], answer
    assert bot.jobs.jobs() == [], "a job started before the approval"


@pytest.mark.parametrize(
    "text",
    ["status local; rm -rf /", "status $(id)", "status `id`", "deploy local v1 && deploy production v1",
     "status local | nc 127.0.0.1 9", "status local\nstatus production"],
)  # fmt: skip
def test_shell_metacharacters_are_refused_by_the_parser_and_start_no_job(webhook, bot, text):
    body = command("UAMINA", text)
    answer = send(webhook, body, signed(body))
    assert answer.status == 200, answer
    assert answer.body["ok"] is False, answer
    assert answer.body["job"] is None, answer
    assert answer.body["text"].startswith("only letters, digits, spaces and . _ / - are allowed"), answer
    assert bot.jobs.jobs() == [], "a refused command started a job"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b'{"user": "UAMINA", "text": "help"', "the body is not JSON", id="bad-json"),
        pytest.param(b"\xff\xfe\x00", "the body is not JSON", id="not-utf8"),
        pytest.param(b'["UAMINA", "help"]', "the body must be a JSON object", id="not-an-object"),
        pytest.param(b'{"text": "help"}', "field user is missing", id="no-user"),
        pytest.param(b'{"user": "UAMINA"}', "field text is missing", id="no-text"),
        pytest.param(b'{"user": "UAMINA", "text": ["help"]}', "field text is missing or not a string",
                     id="text-not-a-string"),
        pytest.param(b'{"user": 7, "text": "help"}', "field user is missing or not a string", id="user-not-a-string"),
        pytest.param(b'{"user": "U AMINA", "text": "help"}', "field user must be a chat user id", id="user-spaces"),
    ],
)  # fmt: skip
def test_a_signed_body_that_is_not_a_command_is_refused_naming_the_field(webhook, body, why):
    answer = send(webhook, body, signed(body))
    assert answer.status == 400, answer
    assert answer.body["error"].startswith(why), answer


def test_a_body_over_16_kib_is_refused_and_one_of_16_kib_is_read(webhook):
    base = command("UAMINA", "help")
    exact = base + b" " * (MAX_BODY - len(base))
    assert len(exact) == 16 * 1024
    answer = send(webhook, exact, signed(exact))
    assert answer.status == 200, answer
    assert answer.body["ok"] is True, answer
    big = command("UAMINA", "x" * (16 * 1024))
    answer = send(webhook, big, signed(big))
    assert answer.status == 413, answer
    assert str(len(big)) in answer.body["error"], answer


def test_other_methods_and_paths_are_not_served(webhook):
    get = send(webhook, method="GET")
    assert get.status == 405, get
    assert get.headers.get("Allow") == "POST", get
    assert "POST /command" in get.body["error"], get
    body = command("UAMINA", "help")
    other = send(webhook, body, signed(body), path="/other")
    assert other.status == 404, other
    assert "POST /command" in other.body["error"], other


def test_no_vault_value_reaches_an_answer_or_the_chat(webhook, bot, capture):
    body = command("UAMINA", "deploy local")
    answer = send(webhook, body, signed(body))
    assert answer.status == 200, answer
    job = bot.jobs.get(answer.body["job"] or "")
    assert job is not None, answer
    assert job.wait(60), f"job {job.id} still runs after 60 s"
    summary = f"job {job.id} (deploy local) successful after"
    assert capture.wait_for(lambda texts: any(t.startswith(summary) for t in texts)), capture.texts()
    log_body = command("UAMINA", f"log {job.id}")
    log = send(webhook, log_body, signed(log_body, NOW + 1))
    assert log.status == 200, log
    # The careless task's line did reach the log, with the value in it hidden.
    assert "the password is [redacted]" in log.body["text"], log
    seen = "\n".join([answer.raw, log.raw, *(b.decode() for b in capture.bodies)])
    for environment, secret in SECRETS.items():
        assert secret not in seen, f"the vault value of {environment} was shown: {seen}"


def test_a_chat_that_cannot_be_reached_is_logged_and_the_job_still_ends(bot, capfd):
    hook = f"http://127.0.0.1:{closed_port()}/hooks/the-key-of-the-hook"
    with serving(WebhookServer(bot, "127.0.0.1", 0, SECRET, post_url=hook, clock=Clock(NOW))) as webhook:
        body = command("UAMINA", "status local")
        answer = send(webhook, body, signed(body))
        assert answer.status == 200, answer
        job = bot.jobs.get(answer.body["job"] or "")
        assert job is not None, answer
        assert job.wait(60), f"job {job.id} still runs after 60 s"
        assert job.status == "successful", job.status
        logged = ""
        deadline = time.monotonic() + 20
        while "Connection refused" not in logged and time.monotonic() < deadline:
            time.sleep(0.1)
            logged += capfd.readouterr().err
    assert "could not post a message to http://127.0.0.1:" in logged, logged
    assert "Connection refused" in logged, logged
    assert "the-key-of-the-hook" not in logged, f"the hook's key was logged: {logged}"
    assert SECRET.decode() not in logged, logged


def test_the_webhook_refuses_a_short_secret_and_a_post_url_that_is_not_http(bot):
    with pytest.raises(WebhookError, match="at least 16 bytes"):
        WebhookServer(bot, "127.0.0.1", 0, b"short")
    with pytest.raises(WebhookError, match="http:// or https://"):
        WebhookServer(bot, "127.0.0.1", 0, SECRET, post_url="file:///etc/passwd")
