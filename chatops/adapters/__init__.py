"""Ways into the bot: the command line, Slack, and a signed webhook."""
