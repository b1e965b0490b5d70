"""The documents owners inspect (SPC interpretation art. 13): the owner's page (/me/documents/),
the estate's staff page (upload, withdraw, who read what), and the one view every opening goes
through, which checks access and writes the audit line before the file leaves."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community import access, audit, uploads
from community.models import Estate
from community.web import act, cleaned, owner_or_403

from . import documents, documents_pdf
from .forms import DocumentForm
from .votes import pdf as vote_pdf
from .votes import selectors as vote_selectors


@login_required
def my_documents(request):
    """An owner's documents: each estate where they hold a unit, by kind, newest first."""
    owner = owner_or_403(request)
    return render(request, "committees/my_documents.html", {"estates": documents.for_owner(owner)})


@login_required
def estate_documents(request, estate_id):
    """Staff who may view the estate read its documents; those who run its votes or keep its
    registry upload and withdraw them and see who read what."""
    estate = access.get_visible_or_404(request.user, access.VIEW, Estate.objects.select_related("grid"), pk=estate_id)
    here = reverse("committees:estate_documents", args=[estate.pk])
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "upload":

            def handler():
                data = cleaned(DocumentForm(request.POST, request.FILES))
                documents.upload_document(actor=request.user, estate=estate, **data)
                return _("资料已上传，本小区业主可以查阅。")

        elif action == "withdraw":
            document = documents.keepable(estate.pk, request.POST.get("document", ""))
            if document is None:
                raise Http404

            def handler():
                documents.withdraw_document(actor=request.user, document=document)
                return _("资料已撤下，业主不再能查阅；记录仍保留。")

        else:
            raise Http404
        return act(request, handler, here)
    keeper = documents.may_keep(request.user, estate)
    return render(
        request,
        "committees/estate_documents.html",
        {
            "estate": estate,
            "groups": documents.for_estate(estate),
            "form": DocumentForm() if keeper else None,
            "keeper": keeper,
            "show_readings": documents.may_see_readings(request.user, estate),
            "readings": documents.readings(request.user, estate),
            "personal": access.can(request.user, access.PERSONAL, estate),
        },
    )


@login_required
def document(request, source, pk):
    """Every opening of a document, uploaded or generated: access checked, the reading audited,
    then the file (an attachment, nosniff)."""
    found = documents.readable(request.user, source, pk)
    if found is None:
        raise Http404
    doc, capacity = found
    if doc.source == documents.FILE:
        response = uploads.serve(doc.obj.file, filename=f"document-{doc.pk}")
    elif doc.source == documents.VOTE_RESULT:  # the vote's one result PDF (committees.votes.pdf)
        content, _fp = vote_pdf.result_pdf(vote_selectors.result_document(doc.obj))
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{doc.source}-{doc.pk}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
    else:
        content = documents_pdf.document_pdf(
            documents.printable(doc), generated_at=f"{timezone.localtime():%Y-%m-%d %H:%M}"
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{doc.source}-{doc.pk}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
    audit.record(
        "document_read",
        request=request,
        obj=doc.obj,
        detail={
            "estate": doc.estate_id,
            "kind": doc.kind,
            "source": doc.source,
            "title": doc.title[:100],
            "as": capacity,
        },
    )
    return response
