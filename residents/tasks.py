"""Residents' background work: a long set of binding letters, printed by a job the user watches."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community import jobs
from community.models import Building, Estate

from . import letters, pdf


@jobs.job("residents.binding_letters")
def binding_letters(job, progress) -> jobs.Outcome:
    """Binding letters for an estate or one of its buildings (``params``: estate, building or None,
    base_url). The service checks again that the starter may change the estate's registry; the
    letters are written and the PDF made in the job's one transaction."""
    params = job.params
    estate = Estate.objects.select_related("grid__community__street__district").get(pk=params["estate"])
    building = Building.objects.get(pk=params["building"]) if params.get("building") else None

    def issuing(done, total):
        progress(done, 2 * total, _("生成绑定码"))

    issued = letters.issue_letters(actor=job.created_by, estate=estate, building=building, progress=issuing)
    total = len(issued.letters)

    def drawing(done, _total):
        progress(total + done, 2 * total, _("生成 PDF"))

    body = pdf.letters_pdf(issued, base_url=params["base_url"], progress=drawing)
    return jobs.Outcome(
        message=_("已生成绑定函 %(n)s 份，有效期至 %(date)s；这些房屋此前的绑定函已作废。")
        % {"n": total, "date": f"{issued.expires_on:%Y-%m-%d}"},
        file=body,
        filename=pdf.letters_filename(issued),
    )
