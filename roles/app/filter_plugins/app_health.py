"""Read the health checks of a release: which answered, and which did not as they must.

A check passes when it answered 200 and its X-Deenify-Release header names the release
under test; a 200 from another release means the preview port serves the wrong code.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: app_health_failures
short_description: The health checks of a release that did not pass, as lines for an operator
description:
  - Takes the C(results) of a looped C(ansible.builtin.uri) task over health check paths
    and the id of the release under test; returns one line per check that did not answer
    200 with the release's id in its C(X-Deenify-Release) header, naming the path, the
    status, the release that answered and the start of the body. Skipped results are
    left out.
options:
  _input:
    description: The C(results) list of the uri task.
    type: list
    elements: dict
    required: true
  release:
    description: Id of the release under test.
    type: str
    required: true
author: deenify-ops
"""

EXAMPLES = r"""
# ["GET /up answered 503 from release 20261203T230000Z-1a2b3c4: {\"status\":\"failing\"..."]
failures: "{{ __app_health.results | app_health_failures(__app_release_id) }}"
"""

RETURN = r"""
_value:
  description: One line per failed check; empty when all passed.
  type: list
  elements: str
"""

_BODY = 300


def app_health_failures(results: object, release: object) -> list[str]:
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise AnsibleFilterError(f"app_health_failures: expected the results list of a uri loop, got {results!r:.200}")
    if not isinstance(release, str) or not release:
        raise AnsibleFilterError(f"app_health_failures: the release id must be a non-empty string, got {release!r}")
    failures = []
    for result in results:
        if result.get("skipped"):
            continue
        status = result.get("status", -1)
        answered_by = result.get("x_deenify_release")
        if status == 200 and answered_by == release:
            continue
        body = str(result.get("content") or result.get("msg") or "").strip().replace("\n", " ")
        if len(body) > _BODY:
            body = body[:_BODY] + "..."
        source = f"release {answered_by}" if answered_by else "no release header"
        failures.append(f"GET {result.get('item', '?')} answered {status} ({source}): {body}")
    return failures


class FilterModule:
    def filters(self):
        return {"app_health_failures": app_health_failures}
