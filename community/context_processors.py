"""What the navigation bar may offer the signed-in user. Each flag is a callable, so the
template asks (and the database is queried) only when the bar is drawn for a signed-in user."""

from . import access


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def committees():
        return any(access.holds_anywhere(user, p) for p in (access.REVIEW_FILINGS, access.CONVENE_VOTES))

    def votes():
        return access.holds_anywhere(user, access.CONVENE_VOTES)

    def exam_staff():
        return access.holds_anywhere(user, access.RUN_EXAMS)

    def fees():
        return any(access.holds_anywhere(user, p) for p in (access.KEEP_ACCOUNTS, access.APPROVE_SPENDING))

    return {"nav_committees": committees, "nav_exam_staff": exam_staff, "nav_votes": votes, "nav_fees": fees}
