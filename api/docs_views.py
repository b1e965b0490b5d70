"""The OpenAPI 3 schema (/api/schema/, JSON by default, YAML with ``?format=yaml``) and a readable
page of it (/api/), rendered by our own template from the generated schema: no script, no CDN.
Both are public: they describe the API, they give no data. They cover the API's own addresses
(``/api/...``) only, not the DRF views Wagtail's admin uses."""

from __future__ import annotations

import functools

from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView

from .schema import ApiSchemaGenerator, ApiUrls

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaView(SpectacularAPIView):
    urlconf = ApiUrls
    renderer_classes = [OpenApiJsonRenderer, OpenApiYamlRenderer]


schema = SchemaView.as_view()


def generate() -> dict:
    return ApiSchemaGenerator().get_schema(request=None, public=True)


@functools.lru_cache(maxsize=4)
def _generated(language: str) -> dict:
    """The schema for the readable page, built once per process and language: the page is public,
    and building the schema walks every view."""
    return generate()


def _example(method: str, url: str, operation: dict) -> str:
    parts = ["curl", '-H "Authorization: Bearer $TOKEN"']
    if method != "get":
        parts.insert(1, f"-X {method.upper()}")
        if "requestBody" in operation:
            parts.append("-H \"Content-Type: application/json\" -d '{…}'")
    parts.append(f'"{url}"')
    return " ".join(parts)


def operations(spec: dict, base: str) -> list[dict]:
    """Each operation of ``spec``: method, path, summary, description, parameters, curl."""
    out = []
    for route, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                {
                    "name": p["name"],
                    "where": p.get("in", ""),
                    "required": p.get("required", False),
                    "type": p.get("schema", {}).get("format") or p.get("schema", {}).get("type", ""),
                    "description": p.get("description", ""),
                }
                for p in [*shared, *op.get("parameters", [])]
            ]
            example_path = route
            for p in params:
                if p["where"] == "path":
                    example_path = example_path.replace("{" + p["name"] + "}", "1")
            out.append(
                {
                    "id": op.get("operationId", f"{method}-{route}"),
                    "method": method.upper(),
                    "path": route,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or [""])[0],
                    "parameters": params,
                    "responses": sorted(op.get("responses", {})),
                    "curl": _example(method, base + example_path, op),
                }
            )
    return out


def docs(request):
    """The readable API page, public."""
    spec = _generated(get_language())
    base = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "api/docs.html",
        {
            "info": spec.get("info", {}),
            "operations": operations(spec, base),
            "base": base,
            "title": _("数据接口说明"),
        },
    )
