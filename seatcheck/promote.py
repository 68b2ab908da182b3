"""The pre-promotion gate (the recipe's gnomep -> gnome): run the suites against a candidate
image, and only when every required check passes tag the current image ``<role>-prev`` for
rollback and the candidate, by the digest that was tested, ``<role>``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import docker.errors
from docker import DockerClient

from .errors import ImageError, UsageError
from .roles import IMAGE_ROLES


@dataclass(frozen=True)
class Verdict:
    promoted: bool
    role: str
    candidate: str
    digest: str  # the image id that was tested (and, when promoted, tagged)
    reason: str
    report: str = ""

    def describe(self) -> str:
        word = "PROMOTED" if self.promoted else "REFUSED"
        return f"{word}: {self.role} candidate {self.candidate} ({self.digest}): {self.reason}" + (
            f"; report {self.report}" if self.report else ""
        )


def tags(role: str, prefix: str = "") -> tuple[str, str]:
    return f"{prefix}{role}", f"{prefix}{role}-prev"


def _image_id(client: DockerClient, ref: str) -> str | None:
    try:
        return str(client.images.get(ref).id)
    except docker.errors.ImageNotFound:
        return None


def _tag(client: DockerClient, image_id: str, ref: str) -> None:
    repo, _, version = ref.partition(":")
    client.images.get(image_id).tag(repo, tag=version or "latest")


def promote(
    client: DockerClient,
    role: str,
    candidate: str,
    run_suite: Callable[[str], tuple[int, str]],
    prefix: str = "",
    selection: str = "",
) -> Verdict:
    """``run_suite(image_id)`` runs the suites with that image in ``role`` and returns
    (exit status, report path). ``selection``: the pytest arguments that narrowed the suite,
    named in the verdict so that a narrowed gate never reads as the whole one."""
    if role not in IMAGE_ROLES:
        raise UsageError(f"unknown role {role!r} (roles: {', '.join(IMAGE_ROLES)})")
    tested = _image_id(client, candidate)
    if tested is None:
        raise ImageError(f"candidate image {candidate!r} is not present")
    code, report = run_suite(tested)  # by digest: what is tested is exactly what is tagged
    now = _image_id(client, candidate)
    if now != tested:
        return Verdict(
            False, role, candidate, tested,
            f"the candidate tag moved during the run (tested {tested}, now {now}); "
            "nothing retagged", report,
        )  # fmt: skip
    if code != 0:
        return Verdict(
            False, role, candidate, tested,
            f"required checks failed (exit status {code}); nothing retagged", report,
        )  # fmt: skip
    current_tag, prev_tag = tags(role, prefix)
    current = _image_id(client, current_tag)
    if current is not None and current != tested:
        _tag(client, current, prev_tag)
    _tag(client, tested, current_tag)
    kept = f"; previous kept as {prev_tag}" if current and current != tested else ""
    judged = f" of those selected by {selection!r}" if selection else ""
    return Verdict(
        True, role, candidate, tested, f"every required check{judged} passed{kept}", report
    )


def rollback(client: DockerClient, role: str, prefix: str = "") -> str:
    current_tag, prev_tag = tags(role, prefix)
    prev = _image_id(client, prev_tag)
    if prev is None:
        raise ImageError(f"no {prev_tag} image to roll back to")
    _tag(client, prev, current_tag)
    return f"ROLLED BACK: {current_tag} is {prev} again (from {prev_tag})"
