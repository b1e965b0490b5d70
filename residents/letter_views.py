"""The staff page that prints binding letters for an estate or one of its buildings.

Staff who may change the estate's registry (district administrator, community staff, grid worker
in scope) choose the range; a set of up to ``JOB_ROWS`` letters comes back as a PDF at once, a
longer one is made by a job whose page offers the download. The page also lists the estate's
earlier printings and what became of their letters.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from community import access, jobs
from community.models import Estate
from community.pdf import JOB_ROWS
from community.rules import rules_for
from community.web import error_text

from . import letters, pdf, tasks
from .letter_forms import LettersForm


def _page(request, estate, form, status=200):
    buildings = letters.buildings_with_counts(estate)
    form = form or LettersForm(estate=estate)
    form.label(buildings)
    context = {
        "estate": estate,
        "form": form,
        "buildings": buildings,
        "owned_total": sum(b.owned for b in buildings),
        "unit_total": sum(b.unit_count for b in buildings),
        "days": rules_for(estate).binding_letter_days,
        "history": letters.print_history(estate),
    }
    return render(request, "residents/letters.html", context, status=status)


@login_required
def letters_page(request, pk):
    estate = access.get_visible_or_404(
        request.user,
        access.CHANGE,
        Estate.objects.select_related("grid__community__street__district"),
        pk=pk,
    )
    if request.method != "POST":
        return _page(request, estate, None)
    form = LettersForm(request.POST, estate=estate)
    if not form.is_valid():
        return _page(request, estate, form, status=400)
    building = form.cleaned_data["building"]
    base_url = request.build_absolute_uri("/")
    count = letters.letter_units(estate, building).count()
    if count > JOB_ROWS:  # a long set is made by a job; the job page offers the download
        where = building.name if building is not None else _("全小区")
        started = jobs.start(
            actor=request.user,
            task=tasks.binding_letters,
            title=_("%(estate)s %(where)s 绑定函") % {"estate": estate.name, "where": where},
            params={"estate": estate.pk, "building": building.pk if building else None, "base_url": base_url},
        )
        return redirect("community:job", started.pk)
    try:
        issued = letters.issue_letters(actor=request.user, estate=estate, building=building)
    except (ValidationError, PermissionDenied) as exc:
        form.add_error(None, error_text(exc))
        return _page(request, estate, form, status=400)
    response = HttpResponse(pdf.letters_pdf(issued, base_url=base_url), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.letters_filename(issued)}"'
    return response
