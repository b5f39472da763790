"""deenify-bot: deploys, rollbacks, backups and more for Deenify from chat, on ansible-runner.

A chat message becomes a :class:`chatops.commands.Command` (strict parsing: nothing from
chat reaches a shell or becomes an option), is checked against the permissions file and,
where needed, a second person's approval, and runs as one ansible-runner job per
environment. Progress and a per-host summary go back to the chat, with every vault value
redacted; each command is written to an append-only audit log.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
