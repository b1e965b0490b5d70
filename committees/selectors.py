"""Reads for committees, exams and votes, scoped through community.access, with a fixed number of queries."""




from .models import (
    Committee,
    CommitteeStatus,
)

# A committee in one of these statuses is the estate's sitting committee.
ACTIVE = (
    CommitteeStatus.ELECTED,
    CommitteeStatus.FILING,
    CommitteeStatus.RETURNED,
    CommitteeStatus.FILED,
    CommitteeStatus.CHANGED,
)


def seated(committee: Committee):
    """The members now in office (a removed member keeps their row, with the day they left)."""
    return committee.members.filter(left_on=None)
