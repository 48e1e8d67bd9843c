"""The API objects: Calendly v2 dialect at /api/v2/, the browser extension's call at /api/apps/extension/v1/.
Interactive docs at /api/v2/docs, served with the Swagger UI files that ship inside django-ninja (no CDN)."""

import json
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from ninja.openapi.docs import DocsBase

from .base import Api, TokenAuth, install_error_handlers
from .resources import (
    availability,
    data_compliance,
    event_type_rules,
    event_types,
    host_rules,
    no_shows,
    organizations,
    scheduled_events,
    scheduling_links,
    stars,
    teams,
    users,
    webhook_subscriptions,
)

ASSETS = Path(ninja.__file__).parent / "static" / "ninja"
ASSET_NAMES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class LocalSwagger(DocsBase):
    def render_page(self, request, api, **kwargs):
        settings = json.dumps({"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True})
        asset = reverse("api-docs-asset", args=["x"])[:-1]
        html = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{api.title}</title>
<link rel="stylesheet" href="{asset}swagger-ui.css"><link rel="icon" href="{asset}favicon.png"></head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{asset}swagger-ui-bundle.js"></script><script src="{asset}swagger-ui-init.js"></script>
</body></html>"""
        return HttpResponse(html)


def docs_asset(request, name):
    if name not in ASSET_NAMES:
        raise Http404(name)
    response = FileResponse(open(ASSETS / name, "rb"), content_type=ASSET_NAMES[name])  # noqa: SIM115 - FileResponse closes it
    response["Cache-Control"] = "public, max-age=86400"
    return response


api = Api(
    title="Slotwise API (Calendly v2 dialect)",
    version="2.0.0",
    description=(
        "Point a Calendly v2 client at `<your Slotwise>/api/v2` and send a Slotwise token as "
        "`Authorization: Bearer <token>`. Resources, collections, pagination and errors use Calendly's shapes."
    ),
    auth=TokenAuth(),
    urls_namespace="api_v2",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
for module in (
    users,
    organizations,
    event_types,
    availability,
    scheduled_events,
    no_shows,
    scheduling_links,
    webhook_subscriptions,
    data_compliance,
    teams,
    stars,
    event_type_rules,
    host_rules,
):
    api.add_router("", module.router)

extension_api = Api(
    title="Slotwise browser-extension API",
    version="1",
    auth=TokenAuth(),
    urls_namespace="extension_v1",
    docs_url=None,
    openapi_url=None,
)
install_error_handlers(extension_api)
extension_api.add_router("", scheduling_links.extension)
