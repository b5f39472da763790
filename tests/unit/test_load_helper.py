"""The load generator the deploy scenarios rely on: its rate, its records and its bounds.

Every request goes to a server this test starts on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from tests.helpers.load import Load


class SlowRelease(http.server.BaseHTTPRequestHandler):
    release = "r1"

    def do_GET(self):
        time.sleep(0.1)  # slower than the interval between requests: the rate must hold anyway
        self.send_response(200)
        self.send_header("X-Deenify-Release", type(self).release)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowRelease)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def test_the_rate_holds_when_answers_are_slower_than_the_interval(server):
    with Load("127.0.0.1", "deenify.test", port=server.server_address[1], rate=25) as load:
        time.sleep(2)
        SlowRelease.release = "r2"
        time.sleep(1)
    SlowRelease.release = "r1"
    assert 60 <= len(load.answers) <= 80, load.summary()
    assert load.rate_seen() >= 22, load.summary()
    assert not load.failures(), load.summary()
    assert load.releases_in_order() == ["r1", "r2"], load.summary()


def test_a_refused_connection_is_recorded_as_a_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Load("127.0.0.1", "deenify.test", port=port, rate=20) as load:
        time.sleep(0.5)
    failed = load.failures()
    assert failed, load.summary()
    assert all(a.status == 0 and "ConnectionRefusedError" in a.error for a in failed), load.summary()


def test_it_stops_by_itself_after_its_request_budget(server):
    load = Load("127.0.0.1", "deenify.test", port=server.server_address[1], rate=50, max_requests=10)
    with load:
        time.sleep(1.5)
    assert len(load.answers) == 10, load.summary()
