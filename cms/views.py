from django.shortcuts import render
from django.utils import timezone
from wagtail.models import Site

from community.web import paged

from . import marks
from .cjk import query_terms
from .models import NOTICES_PER_PAGE, NoticePage, search_notices

MAX_QUERY = 50


def search(request):
    """Residents' notice search within the district this site serves; no login."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    site = Site.find_for_request(request)
    results = search_notices(site.root_page, query_terms(query)) if site is not None else NoticePage.objects.none()
    page, querystring = paged(request, results, NOTICES_PER_PAGE)
    page.object_list = marks.mark(page.object_list)
    return render(
        request,
        "cms/search.html",
        {"query": query, "page": page, "today": timezone.localdate(), "querystring": querystring},
    )
