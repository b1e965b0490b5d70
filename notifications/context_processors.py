from . import selectors


def unread(request):
    """The header's unread count, counted only when the header is drawn for a signed-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_unread": lambda: selectors.unread_count(user)}
