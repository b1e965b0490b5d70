"""Committees' scheduled work."""

from __future__ import annotations

from community import jobs

from .exams import services as exam_services
from .votes import services as vote_services


@jobs.task(name="committees.close_expired_attempts")
def close_expired_attempts() -> int:
    """Submit and mark, as at their deadline, the exam attempts left open past it (idempotent)."""
    return exam_services.close_expired_attempts()


@jobs.task(name="committees.remind_closing_votes")
def remind_closing_votes() -> int:
    """Daily (09:00): owners who have not voted in a vote closing within three days are
    reminded, once per vote (votes.services.remind_closing)."""
    return vote_services.remind_closing()
