#!/usr/bin/python
"""The health gate of a release: GET each check path and require 200 from that release."""

from __future__ import annotations

DOCUMENTATION = r"""
module: release_probe
short_description: Check that a release answers its health checks before traffic moves to it
description:
  - Sends C(GET http://<host>:<port><path>) for each of O(paths), one after the other, and
    requires each to answer 200 with the header O(header) naming O(release). A 200 from another
    release means the port serves the wrong code, and counts as a failure.
  - A check that does not pass is tried again, up to O(attempts) times, O(delay) seconds apart.
  - Fails, once every check has had its attempts, with one line per check that did not pass,
    naming the path, the status (-1 without a connection), the release that answered and the
    start of the body; RV(checks) holds every answer.
  - Redirects are not followed, and nothing but plain HTTP to O(host) is spoken; it is meant for
    the loopback preview port of the app role, from the host itself.
  - It reads only the standard library, so that the gate costs little time in a rollback.
author: deenify-ops
version_added: "0.1.0"
options:
  port:
    description: The TCP port to ask, such as the app role's preview port.
    type: int
    required: true
  release:
    description: The release id every check must name in O(header).
    type: str
    required: true
  paths:
    description: The paths to GET, each starting with C(/).
    type: list
    elements: str
    default: [/up]
  host:
    description: The address to connect to.
    type: str
    default: 127.0.0.1
  header:
    description: The response header that names the release which answered.
    type: str
    default: X-Deenify-Release
  timeout:
    description: Seconds to wait for the connection and for each answer.
    type: float
    default: 10
  attempts:
    description: How many times each check is tried before it counts as failed (at least 1).
    type: int
    default: 3
  delay:
    description: Seconds between two attempts of the same check.
    type: float
    default: 2
attributes:
  check_mode:
    support: full
    description: Sends nothing (the release was not put behind the port), and says so in RV(msg).
  diff_mode:
    support: none
notes:
  - It never changes anything; RV(changed) is always false.
"""

EXAMPLES = r"""
- name: Check the candidate release on the preview port
  release_probe:
    port: 8090
    release: 20261204T052023Z-381d392
    paths: [/up, /donate]
    attempts: 3
"""

RETURN = r"""
checks:
  description: One entry per path, in order.
  returned: always, empty in check mode
  type: list
  elements: dict
  contains:
    path: {description: The path asked., type: str}
    status: {description: The last answer's HTTP status; -1 when no connection or no answer came., type: int}
    release: {description: The release the last answer named in O(header), or null., type: str}
    body: {description: The start of the last answer's body, or why there was no answer., type: str}
    attempts: {description: How many attempts were made., type: int}
    passed: {description: Whether the check passed., type: bool}
  sample:
    - {path: /up, status: 200, release: 20261204T052023Z-381d392, body: '{"status":"ok"}', attempts: 1, passed: true}
failures:
  description: One line per check that did not pass; empty when all passed.
  returned: always
  type: list
  elements: str
  sample: ["GET /up answered 500 (release 20261204T052023Z-381d392): {\"database\":\"down\"}"]
"""

import http.client
import re
import time

from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "port": {"type": "int", "required": True},
    "release": {"type": "str", "required": True},
    "paths": {"type": "list", "elements": "str", "default": ["/up"]},
    "host": {"type": "str", "default": "127.0.0.1"},
    "header": {"type": "str", "default": "X-Deenify-Release"},
    "timeout": {"type": "float", "default": 10},
    "attempts": {"type": "int", "default": 3},
    "delay": {"type": "float", "default": 2},
}

BODY_LIMIT = 300
_PATH = re.compile(r"^/[^\s]*$")
_HEADER = re.compile(r"^[A-Za-z0-9-]+$")


class ProbeError(Exception):
    """Options that cannot describe a check, worded for the operator."""


def check_options(params: dict) -> None:
    if not 1 <= params["port"] <= 65535:
        raise ProbeError(f"port {params['port']} is outside 1-65535; pass the preview port, such as 8090")
    if not params["release"] or not params["release"].strip():
        raise ProbeError("release is empty; pass the id of the release that must answer")
    if not params["paths"]:
        raise ProbeError("paths is empty; pass at least one path to check, such as /up")
    bad = [path for path in params["paths"] if not isinstance(path, str) or not _PATH.match(path)]
    if bad:
        raise ProbeError(f"paths {bad} do not start with / or hold spaces; pass paths such as /up")
    if not _HEADER.match(params["header"]):
        raise ProbeError(f"header {params['header']!r} is not a header name (letters, digits and -)")
    if params["attempts"] < 1:
        raise ProbeError(f"attempts {params['attempts']} must be at least 1")
    if params["timeout"] <= 0 or params["delay"] < 0:
        raise ProbeError(f"timeout {params['timeout']} must be above 0 and delay {params['delay']} at least 0")


def _excerpt(data: bytes | str) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "..."


def ask(host: str, port: int, path: str, header: str, timeout: float) -> dict:
    """One GET: its status (-1 without an answer), the release header and the start of the body."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "deenify-ops release_probe"})
        reply = connection.getresponse()
        body = reply.read(BODY_LIMIT * 4)
        return {"status": reply.status, "release": reply.getheader(header), "body": _excerpt(body)}
    except (OSError, http.client.HTTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else (str(exc) or type(exc).__name__)
        return {"status": -1, "release": None, "body": f"no answer from {host}:{port} ({reason})"}
    finally:
        connection.close()


def probe(params: dict, sleep=time.sleep) -> list[dict]:
    """Every check's last answer, after up to ``attempts`` tries each."""
    checks = []
    for path in params["paths"]:
        for attempt in range(1, params["attempts"] + 1):
            answer = ask(params["host"], params["port"], path, params["header"], params["timeout"])
            passed = answer["status"] == 200 and answer["release"] == params["release"]
            if passed or attempt == params["attempts"]:
                break
            sleep(params["delay"])
        checks.append({"path": path, **answer, "attempts": attempt, "passed": passed})
    return checks


def failure_lines(checks: list[dict]) -> list[str]:
    lines = []
    for check in checks:
        if check["passed"]:
            continue
        source = f"release {check['release']}" if check["release"] else "no release header"
        lines.append(f"GET {check['path']} answered {check['status']} ({source}): {check['body']}")
    return lines


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        check_options(params)
    except ProbeError as exc:
        module.fail_json(msg=str(exc), changed=False, checks=[], failures=[])
    if module.check_mode:
        module.exit_json(
            changed=False,
            checks=[],
            failures=[],
            msg=f"check mode: {', '.join(params['paths'])} of release {params['release']} were not asked",
        )
    checks = probe(params)
    failures = failure_lines(checks)
    if failures:
        module.fail_json(
            msg=(
                f"release {params['release']} did not pass {len(failures)} of {len(checks)} health checks "
                f"on port {params['port']}: " + "; ".join(failures)
            ),
            changed=False,
            checks=checks,
            failures=failures,
        )
    module.exit_json(changed=False, checks=checks, failures=[])


if __name__ == "__main__":
    main()
