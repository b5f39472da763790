#!/usr/bin/python
"""Releases of one application on one host: query, mark, switch and prune them."""

from __future__ import annotations

DOCUMENTATION = r"""
module: app_release
short_description: Query, mark, switch and prune the releases of one application on one host
description:
  - Works on the layout the app role creates under O(root) C(releases/<id>/) (one directory per
    release), C(release-state/<id>.json) (its bookkeeping, outside the release tree),
    C(shared/), and the symlinks C(current) (what nginx serves) and C(candidate) (what the
    preview vhost serves during a deploy).
  - A release id is C(<UTC time %Y%m%dT%H%M%SZ>-<git sha>), so ids sort by time and the
    module orders releases by id.
  - O(state=query) reads only. O(state=marked) writes one state file. O(state=switched) moves
    a link with one rename, so C(current) never goes missing. O(state=pruned) removes old
    releases.
author: deenify-ops
version_added: "0.1.0"
options:
  root:
    description: The application root, such as C(/srv/deenify).
    type: path
    required: true
  state:
    description:
      - C(query) reports the releases, the links and the rollback targets; it changes nothing.
      - C(marked) writes O(status) and merges O(data) into C(release-state/<release>.json), through a
        temporary file and a rename in the same directory.
      - C(switched) points O(link) at C(releases/<release>). For C(current) it also marks that release
        C(live), and the release it replaces (and any other still marked C(live)) C(retired).
        When the link already points there and the bookkeeping is right, nothing changes.
      - A switch of C(current) to a newer release records in its state C(replaced), the release it
        replaced; a switch back to an older one (a rollback) leaves the target's C(replaced) as it was.
      - C(pruned) removes old releases with their state files; see O(keep) and O(protect).
    type: str
    choices: [query, marked, switched, pruned]
    default: query
  release:
    description:
      - The release id, a plain directory name under C(releases/) matching O(id_pattern).
      - Required with O(state=marked) and O(state=switched).
      - With O(state=switched), C(previous) names the host's rollback target (RV(previous) of a query,
        found in the same scan); the task fails when there is none.
    type: str
  status:
    description:
      - The status to record with O(state=marked).
      - C(building) while it is being built, C(ready) when it passed its checks, C(failed) when it did
        not, C(live) while C(current) points at it, C(retired) once it served and was replaced.
      - May be left out when the state file exists already and only O(data) changes.
    type: str
    choices: [building, ready, failed, live, retired]
  data:
    description:
      - Keys merged into the state file (sha, ref, migrations applied, the health check's answer on
        failure, times). The keys C(id), C(path), C(status) and C(replaced) are the module's own.
      - With O(state=switched) and O(link=current), merged into the state of the release made live.
    type: dict
  keep:
    description:
      - With O(state=pruned), how many releases with status C(ready), C(retired) or C(live) may remain.
      - C(current), C(candidate), the previous release and O(protect) always remain and count first.
      - Failed releases do not count; all but the newest failed one go. C(building) releases older than
        the newest release (builds that died) go. Releases without a state file stay, with a warning.
    type: int
    default: 5
  protect:
    description:
      - With O(state=pruned), release ids that must not be removed, such as those other hosts of the
        environment serve.
    type: list
    elements: str
    default: []
  link:
    description: With O(state=switched), the link to move.
    type: str
    choices: [current, candidate]
    default: current
  force:
    description:
      - With O(state=switched) and O(link=current), make a release live even when its status is
        C(failed) or C(building). Only after checking it by hand.
    type: bool
    default: false
  id_pattern:
    description:
      - The regular expression a release id must match in full. Whatever it says, ids with C(/),
        C(..) or a leading C(.) are refused.
    type: str
    default: '^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7,40}$'
attributes:
  check_mode:
    support: full
    description: Reports what would change and writes, switches or removes nothing.
  diff_mode:
    support: full
    description: State files as JSON before and after, link targets, the list of releases before and after a prune.
notes:
  - Run it as the user that owns O(root) (the deploy user), since it writes the state files and links as that user.
  - Removing a release renames it to a hidden C(releases/.<id>.<random>.removing) first; a removal that stops
    halfway is finished by the next prune.
"""

EXAMPLES = r"""
- name: Read the releases of deenify
  app_release:
    root: /srv/deenify
  register: __app_releases

- name: Record that the new release is being built
  app_release:
    root: /srv/deenify
    state: marked
    release: "{{ __app_release_id }}"
    status: building
    data:
      sha: "{{ __app_sha }}"
      ref: v2.3.1
      started: "{{ now(utc=true).isoformat() }}"

- name: Show the new release on the preview vhost
  app_release:
    root: /srv/deenify
    state: switched
    link: candidate
    release: "{{ __app_release_id }}"

- name: Make the new release live
  app_release:
    root: /srv/deenify
    state: switched
    release: "{{ __app_release_id }}"
    data:
      went_live: "{{ now(utc=true).isoformat() }}"

- name: Put the rollback target behind the preview port, and read the releases
  app_release:
    root: /srv/deenify
    state: switched
    link: candidate
    release: previous
  register: __app_releases

- name: Remove old releases, keeping what the other web hosts serve
  app_release:
    root: /srv/deenify
    state: pruned
    keep: 5
    protect: "{{ groups['web'] | map('extract', hostvars, ['__app_releases', 'current']) | select | list }}"
"""

RETURN = r"""
releases:
  description:
    - With O(state=query), the releases oldest first. Each has C(id), C(status) (C(unknown) without a
      usable state file), C(sha), C(ref), C(created), C(path), and the keys recorded with O(data).
    - C(state_error) says why a state file could not be read.
  returned: state is query or switched (with switched, as the switch found them, before it changed anything)
  type: list
  elements: dict
  sample:
    - {id: 20250101T120000Z-0123abc, status: retired, sha: 0123abc, ref: v2.3.0,
       created: "2025-01-01T12:00:00Z", path: /srv/deenify/releases/20250101T120000Z-0123abc}
current:
  description: The id C(current) points at, or null.
  returned: state is query or switched
  type: str
candidate:
  description: The id C(candidate) points at, or null.
  returned: state is query or switched
  type: str
previous:
  description:
    - The release that served before C(current) went live (its state's C(replaced), recorded by a forward
      switch) when it can still serve; otherwise the newest release older than C(current) that can.
    - It can serve with status C(ready) or C(retired) (or C(live) left from a switch that stopped before its
      bookkeeping); never C(failed), C(building) or C(unknown). Null if none.
    - After deploy A, a rollback to X and deploy B, it is X, not A.
  returned: state is query or switched
  type: str
rollback_targets:
  description: The ids older than C(current) that may be rolled back to, RV(previous) first, then newest first.
  returned: state is query or switched
  type: list
  elements: str
orphaned_states:
  description: Ids whose state file remains while their directory is gone; the next prune removes them.
  returned: state is query
  type: list
  elements: str
unrecognized:
  description: Entries under C(releases/) that are not release directories; the module leaves them alone.
  returned: state is query
  type: list
  elements: str
release:
  description: The release marked.
  returned: state is marked
  type: str
status:
  description: The status recorded.
  returned: state is marked
  type: str
state:
  description: The content of the state file after the change.
  returned: state is marked
  type: dict
link:
  description: The link switched.
  returned: state is switched
  type: str
target:
  description: The release id the link points at now.
  returned: state is switched
  type: str
previous_target:
  description: The release id the link pointed at before (its raw target when that was not a release), or null.
  returned: state is switched
  type: str
marked:
  description: The state changes made by the switch, as C(id) and C(status).
  returned: state is switched
  type: list
  elements: dict
removed:
  description: The release ids removed (or, in check mode, that would be), oldest first.
  returned: state is pruned
  type: list
  elements: str
kept:
  description: The release ids that remain, oldest first.
  returned: state is pruned
  type: list
  elements: str
removed_states:
  description: State files without a release directory that were removed, by id.
  returned: state is pruned
  type: list
  elements: str
removed_leftovers:
  description: Hidden leftovers of removals that stopped halfway, finished now.
  returned: state is pruned
  type: list
  elements: str
"""

from ansible.module_utils.app_release import (
    DEFAULT_ID_PATTERN,
    LINKS,
    STATUSES,
    ReleaseError,
    mark,
    prune,
    query,
    switch,
)
from ansible.module_utils.basic import AnsibleModule

ARGUMENT_SPEC = {
    "root": {"type": "path", "required": True},
    "state": {"type": "str", "default": "query", "choices": ["query", "marked", "switched", "pruned"]},
    "release": {"type": "str"},
    "status": {"type": "str", "choices": list(STATUSES)},
    "data": {"type": "dict"},
    "keep": {"type": "int", "default": 5},
    "protect": {"type": "list", "elements": "str", "default": []},
    "link": {"type": "str", "default": "current", "choices": list(LINKS)},
    "force": {"type": "bool", "default": False},
    "id_pattern": {"type": "str", "default": DEFAULT_ID_PATTERN},
}

REQUIRED_IF = [
    ("state", "marked", ["release"]),
    ("state", "marked", ["status", "data"], True),
    ("state", "switched", ["release"]),
]


def run(params: dict, check_mode: bool) -> dict:
    """The result of the requested state; ReleaseError when it is refused."""
    root, pattern = params["root"], params["id_pattern"]
    state = params["state"]
    if state == "marked":
        return mark(root, params["release"], params["status"], params["data"], check_mode, pattern)
    if state == "switched":
        return switch(root, params["release"], params["link"], params["force"], params["data"], check_mode, pattern)
    if state == "pruned":
        return prune(root, params["keep"], params["protect"], check_mode, pattern)
    return query(root, pattern)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except ReleaseError as exc:
        module.fail_json(msg=str(exc), root=module.params["root"], release=module.params["release"])
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
