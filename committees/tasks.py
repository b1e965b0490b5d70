"""Committees' scheduled work."""

from __future__ import annotations

from community import jobs

from .votes import services as vote_services


@jobs.task(name="committees.remind_closing_votes")
def remind_closing_votes() -> int:
    """Daily (09:00): owners who have not voted in a vote closing within three days are
    reminded, once per vote (votes.services.remind_closing)."""
    return vote_services.remind_closing()
