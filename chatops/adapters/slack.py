"""The Slack adapter: a slash command and approval buttons, over HTTP with slack-bolt.

Slack signs every request (``X-Slack-Signature``: ``v0=`` and the HMAC-SHA256 of
``v0:<timestamp>:<body>`` with the app's signing secret). slack-bolt checks it and
refuses, with 401, a wrong signature or a timestamp more than five minutes away; the
adapter also refuses, with 401, a request whose signature it has already accepted (a
replay inside those five minutes). Each request is acknowledged at once, well within
Slack's three seconds, and the work goes on in bolt's listener threads: the immediate
answer through the request's ``response_url``, progress and the summary with
``chat.postMessage`` in the channel the command came from.

Setup (README, "ChatOps"): the app manifest in chatops/slack-manifest.yml, the signing
secret and the bot token in the environment (``SLACK_SIGNING_SECRET``,
``SLACK_BOT_TOKEN``), read from the vault by whoever starts the bot.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from chatops.bot import Bot, Reply

COMMAND = "/deenify"
APPROVE, DENY = "deenify_approve", "deenify_deny"
WINDOW = 300  # seconds: Slack's own limit for a request's timestamp

log = logging.getLogger("deenify-bot.slack")


class ReplayGuard:
    """Signatures accepted in the last ``WINDOW`` seconds; a second use of one is a replay."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, signature: str) -> bool:
        now = self._clock()
        with self._lock:
            for old in [s for s, at in self._seen.items() if now - at > 2 * WINDOW]:
                del self._seen[old]
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def message(reply: Reply) -> dict[str, Any]:
    """The answer as Slack shows it: text, and buttons when a second person must approve."""
    body: dict[str, Any] = {"text": reply.text, "response_type": "in_channel"}
    if reply.approval:
        body["blocks"] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": reply.text}},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": APPROVE, "style": "primary", "value": reply.approval,
                     "text": {"type": "plain_text", "text": "Approve"}},
                    {"type": "button", "action_id": DENY, "style": "danger", "value": reply.approval,
                     "text": {"type": "plain_text", "text": "Deny"}},
                ],
            },
        ]  # fmt: skip
    return body


def build_app(bot: Bot, signing_secret: str, token: str, client: WebClient | None = None,
              clock: Callable[[], float] = time.time) -> App:  # fmt: skip
    """The bolt app: signature checks, the replay guard, the slash command and the buttons."""
    client = client or WebClient(token=token)
    app = App(
        signing_secret=signing_secret,
        token=token,
        client=client,
        token_verification_enabled=False,
        process_before_response=False,
        logger=log,
    )
    guard = ReplayGuard(clock)

    # After bolt's own check of signature and timestamp: only signed requests get here.
    # bolt hands arguments over by name: "next" is the rest of the chain.
    @app.middleware
    def refuse_replays(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        if not guard.first_use(signature):
            return BoltResponse(status=401, body="replayed request")
        return next()

    def poster(channel: str | None) -> Callable[[str], None]:
        def post(text: str) -> None:
            if not channel:
                return
            try:
                client.chat_postMessage(channel=channel, text=text)
            except (SlackApiError, OSError) as error:
                print(f"deenify-bot: could not post to Slack channel {channel}: {error}", file=sys.stderr)

        return post

    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        reply = bot.handle(command.get("user_id", ""), command.get("text", ""), poster(command.get("channel_id")))
        respond(**message(reply))

    def on_button(name: str) -> Callable[..., None]:
        def answer(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user = body.get("user", {}).get("id", "")
            request = ((body.get("actions") or [{}])[0]).get("value", "")
            post = poster(body.get("channel", {}).get("id"))
            reply = bot.approve(user, request, post) if name == APPROVE else bot.deny(user, request, post)
            respond(text=reply.text, response_type="in_channel", replace_original=False)

        return answer

    app.action(APPROVE)(on_button(APPROVE))
    app.action(DENY)(on_button(DENY))
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        # One line per request, without its body or headers (nothing secret on stderr).
        sys.stderr.write(f"deenify-bot slack: {self.address_string()} {format % args}\n")


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def make_wsgi_server(app: App, host: str, port: int, path: str = "/slack/events") -> WSGIServer:
    handler = SlackRequestHandler(app, path=path)
    return make_server(host, port, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)


def serve(bot: Bot, host: str, port: int, signing_secret: str, token: str) -> None:
    server = make_wsgi_server(build_app(bot, signing_secret, token), host, port)
    print(f"deenify-bot: Slack requests on http://{host}:{server.server_port}/slack/events", file=sys.stderr)
    server.serve_forever()
