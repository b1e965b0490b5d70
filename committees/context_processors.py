from . import consents


def confirmations(request):
    """For a seated committee member, the count of their own agreements still to confirm (None for
    everybody else), counted only when the header is drawn for an owner's login."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "signin_pending", False):
        return {}

    def pending():
        if not consents.seated_member(user).exists():
            return None
        return len(consents.pending_for(user))

    return {"nav_confirmations": pending}
