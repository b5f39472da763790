"""The webhook adapter: commands over HTTP, each one signed with a shared secret.

For chat platforms with no adapter of their own (Mattermost and the like): a slash
command or a small relay posts what a user typed, and gets the bot's answer back.

    POST /command
    X-Deenify-Timestamp: 1750000000
    X-Deenify-Signature: sha256=<hex>
    {"user": "U01AMINA", "text": "deploy staging v2.3.1"}

The signature is the HMAC-SHA256, under the shared secret, of the timestamp as sent in
its header (unix seconds), a dot, and the body byte for byte as sent; in lowercase hex.
From a shell:

    body='{"user": "U01AMINA", "text": "status staging"}'
    ts=$(date +%s)
    sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$DEENIFY_BOT_WEBHOOK_SECRET" -r | cut -d' ' -f1)
    curl -sS http://127.0.0.1:8080/command -H 'Content-Type: application/json' \\
        -H "X-Deenify-Timestamp: $ts" -H "X-Deenify-Signature: sha256=$sig" --data-raw "$body"

(openssl shows the key in ps while it runs; on a shared host, sign from a script.)

A request is refused with 401 when its signature is missing or wrong, when its timestamp
is more than 300 s from the bot's clock, or when the same signature was accepted before,
so a captured request cannot be sent again. The answer comes at once, as JSON:
``{"text": ..., "ok": true|false, "job": <job id>|null, "approval": <request id>|null}``.
Progress and the job's summary follow as ``{"text": ...}`` posts to ``post_url`` (an
incoming webhook of the chat); without one they are dropped, and ``log <job>`` shows them.

Whoever holds the secret speaks for every user id: give it only to the relay that knows
who typed the command. The signature proves who sent a request but hides nothing, so
listen on 127.0.0.1 behind a TLS proxy.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import json
import queue
import re
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from chatops.bot import Bot
from chatops.redact import Redactor

PATH = "/command"
WINDOW = 300  # seconds a signed request stays good, either side of the bot's clock
MAX_BODY = 16 * 1024
MAX_SEEN = 10_000
MIN_SECRET = 16
POST_TIMEOUT = 5.0
POST_QUEUE = 1000
# Error answers read a body up to this size before the connection closes: closing on
# unread bytes resets it, and the client could lose the answer that says what was wrong.
DRAIN_LIMIT = 1024 * 1024

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_USER = re.compile(r"[A-Za-z0-9._@:-]{1,100}")


class WebhookError(ValueError):
    """The webhook cannot start as configured; the text names the setting."""


class RequestError(Exception):
    """A request the webhook refuses: the HTTP status and what the sender should fix."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sign(secret: bytes, timestamp: int | str, body: bytes) -> str:
    """The X-Deenify-Signature header for ``body`` sent with ``timestamp``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _log(message: str) -> None:
    print(f"deenify-bot webhook: {message}", file=sys.stderr, flush=True)


class SeenSignatures:
    """The signatures accepted within the window, so that none is accepted twice.

    A signature is forgotten once its timestamp falls out of the window: from then on the
    timestamp alone refuses it.
    """

    def __init__(self, window: float = WINDOW, limit: int = MAX_SEEN) -> None:
        self.window = window
        self.limit = limit
        self._timestamps: dict[str, int] = {}
        self._oldest_first: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._timestamps)

    def add(self, signature: str, timestamp: int, now: float) -> None:
        """Remember an accepted signature; RequestError when it was seen already or too many are held."""
        with self._lock:
            self._forget(now)
            if signature in self._timestamps:
                raise RequestError(
                    401, "replayed request: this signature was accepted before; sign each request when it is sent"
                )
            if len(self._timestamps) >= self.limit:
                raise RequestError(
                    429, f"more than {self.limit} commands within {self.window:.0f} s; wait a minute and send again"
                )
            self._timestamps[signature] = timestamp
            heapq.heappush(self._oldest_first, (timestamp, signature))

    def _forget(self, now: float) -> None:
        while self._oldest_first and self._oldest_first[0][0] < now - self.window:
            timestamp, signature = heapq.heappop(self._oldest_first)
            if self._timestamps.get(signature) == timestamp:
                del self._timestamps[signature]


class Poster:
    """Sends the bot's later messages to the chat's incoming webhook, in order, from one thread.

    The bot posts from its jobs' threads; a slow or broken chat must not hold a job up, so
    messages queue here and a failure is logged, never raised.
    """

    def __init__(self, url: str, redactor: Redactor, timeout: float = POST_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise WebhookError("post_url must be an http:// or https:// URL (the chat's incoming webhook)")
        self.url = url
        self.redactor = redactor
        self.timeout = timeout
        # Incoming-webhook URLs carry their key in the path: logs name the host only.
        self.where = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        self._queue: queue.Queue[str | None] = queue.Queue(POST_QUEUE)
        self._thread = threading.Thread(target=self._run, name="webhook-post", daemon=True)
        self._thread.start()

    def __call__(self, text: str) -> None:
        try:
            self._queue.put_nowait(text)
        except queue.Full:
            _log(f"{POST_QUEUE} messages wait for {self.where}; this one is dropped (log <job> still shows the job)")

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued, then stop."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            self._send(text)

    def _send(self, text: str) -> None:
        data = json.dumps({"text": self.redactor.redact(text)}).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme was checked to be http or https
            self.url, data=data, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - as above
                response.read()
        except Exception as error:
            # Whatever goes wrong loses this one message, never the thread that sends the rest.
            _log(f"could not post a message to {self.where} ({_why(error)}); it is lost, log <job> still shows the job")


def _why(error: Exception) -> str:
    """A failed post in a few words; never the URL, whose path is the webhook's key."""
    if isinstance(error, urllib.error.HTTPError):
        return f"the chat answered {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    if isinstance(error, OSError):
        return str(error)
    return type(error).__name__


class WebhookServer(ThreadingHTTPServer):
    """The bot behind ``POST /command``, bound to ``host``:``port`` (0 picks a free port)."""

    daemon_threads = True

    def __init__(
        self,
        bot: Bot,
        host: str,
        port: int,
        secret: bytes,
        post_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET:
            raise WebhookError(
                f"the webhook secret must be at least {MIN_SECRET} bytes; make one with: openssl rand -hex 32"
            )
        self.bot = bot
        self.secret = secret
        self.clock = clock
        self.seen = SeenSignatures()
        # Checked before the port is bound, so a bad post_url leaves nothing listening.
        self.poster = Poster(post_url, bot.redactor) if post_url else None
        try:
            super().__init__((host, port), _Handler)
        except OSError:
            if self.poster is not None:
                self.poster.close()
            raise

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def close(self) -> None:
        """Release the port and send the messages still queued. Call shutdown() first when serving."""
        self.server_close()
        if self.poster is not None:
            self.poster.close()

    def post(self, text: str) -> None:
        if self.poster is not None:
            self.poster(text)

    def verify(self, timestamp_header: str | None, signature_header: str | None, body: bytes) -> None:
        """RequestError unless the request is signed with the secret, recently, and for the first time."""
        if not signature_header:
            raise RequestError(401, "missing signature: send X-Deenify-Signature: sha256=<HMAC-SHA256 of ts.body>")
        if not timestamp_header:
            raise RequestError(401, "missing timestamp: send X-Deenify-Timestamp, the unix seconds it was signed at")
        stamp = timestamp_header.strip()
        if not _TIMESTAMP.fullmatch(stamp):
            raise RequestError(401, "bad timestamp: X-Deenify-Timestamp must be whole unix seconds, like $(date +%s)")
        timestamp = int(stamp)
        now = self.clock()
        if abs(now - timestamp) > WINDOW:
            raise RequestError(
                401,
                f"timestamp more than {WINDOW} s from now ({timestamp - now:+.0f} s): "
                "check the sender's clock (NTP), and sign each request when it is sent",
            )
        expected = sign(self.secret, stamp, body)
        given = signature_header.strip().encode("latin-1", errors="replace")
        if not hmac.compare_digest(expected.encode(), given):
            raise RequestError(
                401, "bad signature: check the shared secret, and sign the timestamp, a dot and the exact body sent"
            )
        self.seen.add(expected, timestamp, now)

    def answer(self, user: str, text: str) -> dict[str, Any]:
        try:
            reply = self.bot.handle(user, text, self.post)
        except Exception as error:
            _log(self.bot.redactor.redact(traceback.format_exc()))
            raise RequestError(
                500, "the bot failed on this command; its log says why, and jobs lists what runs"
            ) from error
        return {
            "text": self.bot.redactor.redact(reply.text),
            "ok": reply.ok,
            "job": reply.job.id if reply.job is not None else None,
            "approval": reply.approval,
        }


def _fields(body: bytes) -> tuple[str, str]:
    """The user and the text of a command's body; RequestError naming what is wrong."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise RequestError(400, f"the body is not JSON ({error.msg} at {where})") from None
    except (ValueError, RecursionError):
        raise RequestError(400, "the body is not JSON in UTF-8") from None
    if not isinstance(data, dict):
        raise RequestError(400, 'the body must be a JSON object: {"user": "<user id>", "text": "<command>"}')
    for name in ("user", "text"):
        if not isinstance(data.get(name), str):
            raise RequestError(400, f"field {name} is missing or not a string")
    if not _USER.fullmatch(data["user"]):
        raise RequestError(400, "field user must be a chat user id (letters, digits and . _ @ : -, 100 at most)")
    return data["user"], data["text"]


class _Handler(BaseHTTPRequestHandler):
    server_version = "deenify-bot"
    # A client that stalls mid-request holds its thread this long at most.
    timeout = 10

    def do_POST(self) -> None:
        server = cast(WebhookServer, self.server)
        self._unread = self._length()
        try:
            if self._route() != PATH:
                raise RequestError(404, f"nothing here; commands go to POST {PATH}")
            body = self._body()
            server.verify(self.headers.get("X-Deenify-Timestamp"), self.headers.get("X-Deenify-Signature"), body)
            user, text = _fields(body)
            answer = server.answer(user, text)
        except RequestError as error:
            self._send(error.status, {"error": error.message})
            return
        self._send(200, answer)

    def _not_allowed(self) -> None:
        self._unread = self._length()
        if self._route() == PATH:
            self._send(405, {"error": f"{self.command} is not served; send commands with POST {PATH}"}, allow="POST")
        else:
            self._send(404, {"error": f"nothing here; commands go to POST {PATH}"})

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed  # noqa: N815 - http.server dispatches on these names

    def _route(self) -> str:
        return urlsplit(self.path).path

    def _length(self) -> int | None:
        value = self.headers.get("Content-Length")
        if value is None:
            return 0
        value = value.strip()
        return int(value) if value.isdigit() else None

    def _body(self) -> bytes:
        length = self._unread
        if length is None:
            raise RequestError(400, "Content-Length is not a number of bytes")
        if length > MAX_BODY:
            raise RequestError(413, f"the body is {length} bytes; a command's is {MAX_BODY} at most")
        body = self.rfile.read(length)
        self._unread = 0
        if len(body) < length:
            raise RequestError(400, f"the body ended after {len(body)} of the {length} bytes Content-Length promised")
        return body

    def _send(self, status: int, payload: dict[str, Any], allow: str | None = None) -> None:
        if self._unread and self._unread <= DRAIN_LIMIT:
            with contextlib.suppress(OSError):
                self.rfile.read(self._unread)
        self._unread = 0
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if allow:
            self.send_header("Allow", allow)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # The path without its query, the status: never a body, a header or a secret.
        self.log_message("%s %s %s", self.command, self._route(), code)

    def log_message(self, format: str, *args: Any) -> None:
        _log(f"{self.client_address[0]} {format % args}")


def serve(bot: Bot, host: str, port: int, secret: bytes, post_url: str | None = None) -> None:
    """Answer commands on ``host``:``port`` until interrupted."""
    server = WebhookServer(bot, host, port, secret, post_url)
    _log(f"listening on {server.url}" + (f", later messages go to {server.poster.where}" if server.poster else ""))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        _log("stopped")
    finally:
        server.close()
