"""Staff pages: the estate directory and the estate page; the owner's own units."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from . import access, audit, jobs, selectors
from .forms import EstateFilterForm, UnitFilterForm
from .models import Job, JobStatus
from .tenure import selectors as tenure_selectors
from .tenure.views import management_context
from .web import paged

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
    if access.holds_anywhere(request.user, access.HANDLE_REQUESTS):
        return redirect("grid:queue")  # a utility's or a department's staff: the cases handed to them
    return redirect("community:my_units")


@login_required
def directory(request):
    _require_staff_view(request.user)
    form = EstateFilterForm(request.GET or None, choices=selectors.territory_choices(request.user))
    if form.is_bound and not form.is_valid():
        estates = []
    else:
        filters = form.cleaned_data if form.is_bound else {}
        estates = selectors.estate_directory(
            request.user,
            street=filters.get("street"),
            community=filters.get("community"),
            grid=filters.get("grid"),
            state=filters.get("state"),
            query=filters.get("q", ""),
        )
    page, querystring = paged(request, estates, DIRECTORY_PAGE_SIZE)
    return render(request, "community/directory.html", {"form": form, "page": page, "querystring": querystring})


@login_required
def estate_detail(request, pk):
    # One query for the page's grants.
    access.prefetch(request.user, (access.VIEW, access.PERSONAL, access.CHANGE, access.CONVENE_VOTES))
    _require_staff_view(request.user)
    estate = access.get_visible_or_404(request.user, access.VIEW, selectors.estate_page_rows(), pk=pk)
    full = access.can(request.user, access.PERSONAL, estate)
    # The binding coverage page (residents) is for those who see owners' personal data or convene
    # the owners' votes here: the same two permissions that page asks, named here because the
    # registry does not import the floors above it.
    coverage = full or access.can(request.user, access.CONVENE_VOTES, estate)
    form = UnitFilterForm(request.GET or None, estate=estate)
    building = form.cleaned_data.get("building") if form.is_valid() else None
    units, show_owner = selectors.estate_units(estate, full_personal_data=full, building=building)
    page, querystring = paged(request, units, UNITS_PAGE_SIZE)
    rows = [(unit, [show_owner(o.owner) for o in unit.current_ownerships]) for unit in page.object_list]
    if full and any(owners for _unit, owners in rows):
        audit.record(
            "view_personal",
            request=request,
            obj=estate,
            detail={"page": "owner_list", "number": page.number, "building": building.name if building else ""},
        )
    today = timezone.localdate()
    management = management_context(request.user, estate, today)
    history = tenure_selectors.management_history(
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
            "binding_coverage": coverage,
            "querystring": querystring,
        },
    )


@login_required
def my_units(request):
    return render(request, "community/my_units.html", {"ownerships": selectors.units_of_owner_user(request.user)})


# --------------------------------------------------------------------------- jobs


@login_required
def job_status(request, pk):
    """A job's progress, refreshing itself (no JavaScript) until it is done or failed."""
    found = jobs.visible_job_or_404(request.user, pk)
    return render(request, "community/job.html", {"job": found, "progress": jobs.progress_of(found)})


@login_required
def job_download(request, pk):
    found = jobs.visible_job_or_404(request.user, pk)
    if found.status != JobStatus.DONE or not found.result_file:
        raise Http404
    response = FileResponse(found.result_file.open("rb"), as_attachment=True, filename=found.result_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def my_jobs(request):
    page, query = paged(request, Job.objects.filter(created_by=request.user), 30)
    return render(request, "community/jobs.html", {"page": page, "query": query})
