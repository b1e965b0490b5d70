"""What the navigation bar offers for residents' requests: "报事报修" for a household member
(owners always see it), and "报事受理" with the count of new requests for a handling unit's
staff. Each flag is a callable, so the database is asked only when the bar is drawn."""

from community import access
from residents import household

from . import selectors


def requests(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "signin_pending", False):
        return {}

    def member():
        return household.memberships(user).exists()

    def new_requests():
        # The grants come from the bar's one query (community.context_processors.nav prefetches them).
        if user.is_superuser or not access.holds_anywhere(user, access.HANDLE_REQUESTS):
            return None
        return selectors.new_request_count(user)

    return {"nav_member": member, "nav_new_requests": new_requests}
