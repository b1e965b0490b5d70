"""Staff pages: the estate directory and the estate page; the owner's own units."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from . import access, selectors
from .forms import EstateFilterForm, UnitFilterForm

DIRECTORY_PAGE_SIZE = 30
UNITS_PAGE_SIZE = 50


def _require_staff_view(user):
    if not access.holds_anywhere(user, access.VIEW):
        raise PermissionDenied


@login_required
def home(request):
    if access.holds_anywhere(request.user, access.MEDIATE):
        return redirect("mediation:workspace")  # a mediator's registry is their room
    if access.holds_anywhere(request.user, access.VIEW):
        return redirect("community:directory")
    return redirect("community:my_units")


@login_required
def directory(request):
    _require_staff_view(request.user)
    form = EstateFilterForm(request.GET or None, choices=selectors.territory_choices(request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    estates = selectors.estate_directory(
        request.user,
        street=filters.get("street"),
        community=filters.get("community"),
        grid=filters.get("grid"),
        state=filters.get("state"),
        query=filters.get("q", ""),
    )
    if form.is_bound and not form.is_valid():
        estates = estates.none()
    page = Paginator(estates, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "community/directory.html",
        {"form": form, "page": page, "querystring": query.urlencode()},
    )


@login_required
def estate_detail(request, pk):
    access.prefetch(request.user, (access.VIEW, access.PERSONAL, access.CHANGE))  # one query for the page's grants
    _require_staff_view(request.user)
    estate = selectors.visible_estate(request.user, pk)
    if estate is None:
        raise Http404
    full = access.can(request.user, access.PERSONAL, estate)
    form = UnitFilterForm(request.GET or None, estate=estate)
    building = form.cleaned_data.get("building") if form.is_valid() else None
    units, show_owner = selectors.estate_units(estate, full_personal_data=full, building=building)
    page = Paginator(units, UNITS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(unit, [show_owner(o.owner) for o in unit.current_ownerships]) for unit in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    from .management_views import management_context  # it imports act from here

    management = management_context(request.user, estate, today)
    history = selectors.management_history(
        estate, today=today, contracts=[r.contract for r in management["contracts"]], self_periods=management["periods"]
    )
    return render(
        request,
        "community/estate_detail.html",
        {
            "management": management,
            "estate": estate,
            "summary": selectors.estate_summary(estate),
            "chain": selectors.responsibility_chain(estate),
            "history": [(s, s.days(today)) for s in history],
            "form": form,
            "page": page,
            "rows": rows,
            "full_personal_data": full,
            "querystring": query.urlencode(),
        },
    )


@login_required
def my_units(request):
    return render(request, "community/my_units.html", {"ownerships": selectors.units_of_owner_user(request.user)})
