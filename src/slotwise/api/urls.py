from django.urls import include, path

from . import oauth, v2, views

urlpatterns = [
    path("api/v2/docs/assets/<str:name>", v2.docs_asset, name="api-docs-asset"),
    path("api/v2/", v2.api.urls),
    path("api/apps/extension/v1/", v2.extension_api.urls),
    path("oauth/authorize", oauth.authorize, name="oauth-authorize"),
    path("oauth/token", oauth.token, name="oauth-token"),
    path("dashboard/tokens/", views.tokens, name="api-tokens"),
    path("dashboard/tokens/<str:prefix>/revoke/", views.token_revoke, name="api-token-revoke"),
    path("", include("slotwise.webhooks.urls")),
]
