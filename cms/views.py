from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from wagtail.models import Site

from .cjk import query_terms
from .models import NOTICES_PER_PAGE, NoticePage

MAX_QUERY = 50


def search(request):
    """Residents' notice search within the district this site serves; no login."""
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    site = Site.find_for_request(request)
    terms = query_terms(query)
    results = NoticePage.objects.none()
    if terms and site is not None:
        scope = NoticePage.objects.live().descendant_of(site.root_page)
        results = scope.search(" ".join(terms), operator="and")
    page = Paginator(results, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "cms/search.html",
        {"query": query, "page": page, "today": timezone.localdate(), "querystring": f"q={query}"},
    )
