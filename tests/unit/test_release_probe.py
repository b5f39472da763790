"""The release_probe module: the health gate, against a real HTTP server on loopback."""

from __future__ import annotations

import importlib.util
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers.modules import run_in_process, run_module_adhoc

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("release_probe_module", REPO / "library" / "release_probe.py")
module = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(module)

RELEASE = "20261204T052023Z-381d392"
OTHER = "20261203T230000Z-1a2b3c4"


class App:
    """What the fake preview vhost answers: per path, a list of (status, release, body) to hand out in turn."""

    def __init__(self) -> None:
        self.answers: dict[str, list[tuple[int, str | None, str]]] = {}
        self.asked: list[str] = []

    def answer(self, path: str) -> tuple[int, str | None, str]:
        self.asked.append(path)
        queue = self.answers.get(path) or [(404, None, "not found")]
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def app():
    state = App()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, release, body = state.answer(self.path)
            data = body.encode()
            self.send_response(status)
            if release:
                self.send_header("X-Deenify-Release", release)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    yield state
    server.shutdown()
    server.server_close()


def params(listening: int, **overrides) -> dict:
    base = {
        "port": listening,
        "release": RELEASE,
        "paths": ["/up"],
        "host": "127.0.0.1",
        "header": "X-Deenify-Release",
        "timeout": 5.0,
        "attempts": 3,
        "delay": 0.0,
    }
    return {**base, **overrides}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_module(capsys):
    def run(args: dict, check: bool = False) -> dict:
        return run_in_process(module.main, capsys, args, check)

    return run


def test_a_release_that_answers_its_checks_passes(app):
    app.answers = {"/up": [(200, RELEASE, '{"status":"ok"}')], "/donate": [(200, RELEASE, "<html>give</html>")]}
    checks = module.probe(params(app.port, paths=["/up", "/donate"]))
    assert [c["passed"] for c in checks] == [True, True]
    assert checks[0] == {
        "path": "/up",
        "status": 200,
        "release": RELEASE,
        "body": '{"status":"ok"}',
        "attempts": 1,
        "passed": True,
    }
    assert module.failure_lines(checks) == []


def test_a_200_from_another_release_fails(app):
    app.answers = {"/up": [(200, OTHER, "ok")]}
    checks = module.probe(params(app.port, attempts=2))
    assert checks[0]["passed"] is False
    assert checks[0]["attempts"] == 2
    assert module.failure_lines(checks) == [f"GET /up answered 200 (release {OTHER}): ok"]


def test_a_check_that_recovers_within_its_attempts_passes(app):
    app.answers = {"/up": [(503, RELEASE, "warming"), (503, RELEASE, "warming"), (200, RELEASE, "ok")]}
    checks = module.probe(params(app.port, attempts=3))
    assert checks[0]["passed"] is True
    assert checks[0]["attempts"] == 3
    assert app.asked == ["/up", "/up", "/up"]


def test_the_wait_between_attempts_is_the_delay(app):
    app.answers = {"/up": [(500, RELEASE, "down")]}
    waits = []
    module.probe(params(app.port, attempts=3, delay=1.5), sleep=waits.append)
    assert waits == [1.5, 1.5], "two waits between three attempts, none after the last"


def test_a_failed_body_is_cut_and_flattened(app):
    app.answers = {"/up": [(500, None, "line one\n" + "x" * 1000)]}
    (line,) = module.failure_lines(module.probe(params(app.port, attempts=1)))
    assert line.startswith("GET /up answered 500 (no release header): line one xxx")
    assert line.endswith("...")
    assert len(line) < 400


def test_no_connection_is_status_minus_one_with_the_reason():
    checks = module.probe(params(free_port(), attempts=1))
    assert checks[0]["status"] == -1
    assert "Connection refused" in checks[0]["body"]


def test_the_module_fails_naming_every_failed_check(run_module, app):
    app.answers = {"/up": [(500, RELEASE, '{"database":"down"}')], "/donate": [(200, RELEASE, "ok")]}
    result = run_module(params(app.port, paths=["/up", "/donate"], attempts=1))
    assert result["failed"] is True
    assert result["msg"] == (
        f"release {RELEASE} did not pass 1 of 2 health checks on port {app.port}: "
        f'GET /up answered 500 (release {RELEASE}): {{"database":"down"}}'
    )
    assert result["failures"] == [f'GET /up answered 500 (release {RELEASE}): {{"database":"down"}}']
    assert [c["passed"] for c in result["checks"]] == [False, True]
    assert result["changed"] is False


def test_the_module_passes_and_never_reports_a_change(run_module, app):
    app.answers = {"/up": [(200, RELEASE, "ok")]}
    result = run_module(params(app.port))
    assert "failed" not in result, result
    assert result["changed"] is False
    assert result["checks"][0]["passed"] is True


def test_check_mode_asks_nothing(run_module, app):
    result = run_module(params(app.port), check=True)
    assert result["changed"] is False
    assert app.asked == []
    assert "were not asked" in result["msg"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": 0}, "port 0 is outside 1-65535"),
        ({"port": 70000}, "port 70000 is outside 1-65535"),
        ({"paths": []}, "paths is empty"),
        ({"paths": ["up"]}, "do not start with /"),
        ({"paths": ["/up now"]}, "hold spaces"),
        ({"release": " "}, "release is empty"),
        ({"header": "X Release"}, "is not a header name"),
        ({"attempts": 0}, "attempts 0 must be at least 1"),
        ({"timeout": 0}, "timeout 0.0 must be above 0"),
    ],
)
def test_bad_options_are_refused_before_anything_is_asked(run_module, app, overrides, message):
    result = run_module(params(app.port, **overrides))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert app.asked == []


def test_the_module_through_ansible(app):
    app.answers = {"/up": [(200, RELEASE, "ok")]}
    result = run_module_adhoc("release_probe", {"port": app.port, "release": RELEASE})
    assert result.get("failed") is not True, result
    assert result["checks"][0]["status"] == 200
    failed = run_module_adhoc("release_probe", {"port": app.port, "release": OTHER, "attempts": 1, "delay": 0})
    assert failed["failed"] is True
    assert f"answered 200 (release {RELEASE})" in failed["msg"]
