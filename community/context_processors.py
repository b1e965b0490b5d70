"""What the navigation bar may offer the signed-in user. Each flag is a callable, so the
template asks (and the database is queried) only when the bar is drawn for a signed-in user."""

from django.utils import timezone

from . import access, duties
from .models import Community, District, Estate, Grid, PropertyCompany, Street


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if getattr(request, "signin_pending", False):  # the second factor or a new password still to come
        return {"nav_pending": True}

    perms = (
        access.REVIEW_FILINGS,
        access.CONVENE_VOTES,
        access.RUN_EXAMS,
        access.KEEP_ACCOUNTS,
        access.APPROVE_SPENDING,
        access.REVIEW_FUND,
        access.OPEN_CASES,
        access.VIEW,
        access.CHANGE,
        access.VIEW_AUDIT,
        access.UNLOCK_ACCOUNTS,
        access.MANAGE_BRANCHES,
        access.HANDLE_REQUESTS,  # asked by grid's "报事受理" link
    )

    def held(*wanted):
        def flag():
            access.prefetch(user, perms)  # one query for every flag of the bar
            return any(access.holds_anywhere(user, p) for p in wanted)

        return flag

    def overdue():
        access.prefetch(user, perms)  # the count's grants are the bar's
        return duties.overdue_count(user, timezone.localdate())

    def scoped(model):
        access.prefetch(user, perms)
        return access.granted_scopes(user, access.VIEW).get(model)

    return {
        "nav_search": held(access.VIEW),
        # the duty list for staff and committee members; its red count is one query (community.duties)
        "nav_duties": held(access.VIEW),
        "nav_overdue": overdue,
        "nav_import": held(access.CHANGE),
        "nav_audit": held(access.VIEW_AUDIT),
        "nav_committees": held(access.REVIEW_FILINGS, access.CONVENE_VOTES),
        "nav_steward": held(access.REVIEW_FILINGS, access.MANAGE_BRANCHES),  # red steward: branch coverage
        "nav_votes": held(access.CONVENE_VOTES),
        "nav_exam_staff": held(access.RUN_EXAMS),
        "nav_fees": held(access.KEEP_ACCOUNTS, access.APPROVE_SPENDING),
        "nav_fund": held(access.REVIEW_FUND, access.CONVENE_VOTES, access.KEEP_ACCOUNTS, access.APPROVE_SPENDING),
        "nav_mediation": lambda: held(access.OPEN_CASES)() or bool(scoped(Street)),  # street staff read the statistics
        "nav_my_mediation": lambda: bool(
            scoped(Estate) or scoped(PropertyCompany)
        ),  # committees and companies are parties too
        # Grid cases: read over the registry; reported by those who keep it; the dashboard for
        # district, street and community staff.
        "nav_grid": lambda: (
            user.is_superuser or any(scoped(m) for m in (District, Street, Community, Grid, Estate, PropertyCompany))
        ),
        "nav_grid_report": held(access.CHANGE),
        "nav_locks": held(access.UNLOCK_ACCOUNTS),
        "nav_grid_dashboard": lambda: user.is_superuser or any(scoped(m) for m in (District, Street, Community)),
    }
