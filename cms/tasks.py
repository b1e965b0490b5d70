"""The public site's scheduled work."""

from __future__ import annotations

from community import jobs

from . import permissions, services


@jobs.task(name="cms.sync_site_tree")
def sync_site_tree() -> dict:
    """Repair the page tree against the registry and the notice editors' rights (idempotent):
    a company whose contract ended loses the right to draft for that estate."""
    created = services.sync_site_tree()
    return {**created, "users": permissions.sync_everyone()}
