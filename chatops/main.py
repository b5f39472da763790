"""deenify-bot: the console script.

    deenify-bot [--config FILE] cli --user ID COMMAND...
    deenify-bot [--config FILE] slack [--host 127.0.0.1] [--port 3000]
    deenify-bot [--config FILE] webhook [--host 127.0.0.1] [--port 8080] [--post-url URL]

The chat adapters read their secrets from the environment, never from the command line
(process lists show that): SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN for Slack,
DEENIFY_BOT_WEBHOOK_SECRET for the webhook.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from chatops.bot import Bot
from chatops.config import Config, ConfigError
from chatops.permissions import PermissionsError


def _secret(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"{name} is not set: the adapter needs it (from the vault, through the environment)")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deenify-bot", description="Deenify's operations from chat")
    parser.add_argument("--config", type=Path, help="the bot's settings (YAML); defaults suit this checkout")
    sub = parser.add_subparsers(dest="adapter", required=True)
    cli = sub.add_parser("cli", help="run one command here, as a chat user")
    cli.add_argument("--user", required=True, help="the user id the permissions file knows")
    cli.add_argument("words", nargs=argparse.REMAINDER, help="the command, as typed in chat")
    slack = sub.add_parser("slack", help="serve Slack's slash command and buttons over HTTP")
    slack.add_argument("--host", default="127.0.0.1", help="address to listen on (a TLS proxy in front)")
    slack.add_argument("--port", type=int, default=3000)
    webhook = sub.add_parser("webhook", help="serve HMAC-signed commands over HTTP (Mattermost and the like)")
    webhook.add_argument("--host", default="127.0.0.1", help="address to listen on (a TLS proxy in front)")
    webhook.add_argument("--port", type=int, default=8080)
    webhook.add_argument("--post-url", help="incoming-webhook URL for progress and summaries")
    args = parser.parse_args(argv)
    try:
        bot = Bot(Config.load(args.config))
        if args.adapter == "cli":
            from chatops.adapters import cli as cli_adapter

            return cli_adapter.run(bot, args.user, args.words)
        if args.adapter == "slack":
            from chatops.adapters import slack as slack_adapter

            signing_secret, token = _secret("SLACK_SIGNING_SECRET"), _secret("SLACK_BOT_TOKEN")
            slack_adapter.serve(bot, args.host, args.port, signing_secret, token)
            return 0
        from chatops.adapters import webhook as webhook_adapter

        secret = _secret("DEENIFY_BOT_WEBHOOK_SECRET").encode()
        webhook_adapter.serve(bot, args.host, args.port, secret, args.post_url)
        return 0
    except (ConfigError, PermissionsError) as error:
        print(f"deenify-bot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
