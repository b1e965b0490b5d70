"""Committees' scheduled work."""

from __future__ import annotations

from community import jobs

from .exams import services as exam_services


@jobs.task(name="committees.close_expired_attempts")
def close_expired_attempts() -> int:
    """Submit and mark, as at their deadline, the exam attempts left open past it (idempotent)."""
    return exam_services.close_expired_attempts()
