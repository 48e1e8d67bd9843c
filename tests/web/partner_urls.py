"""A stand-in for another company's site, served by the live server under another host name (so it is
another origin on this machine): a page with the embed code for the booking page given in ?embed=."""

from django.http import HttpResponse
from django.urls import include, path
from django.utils.html import escape


def partner_page(request):
    response = HttpResponse(
        f'<h1>Partner site</h1><div data-slotwise-url="{escape(request.GET["embed"])}"></div>'
        f'<script src="{escape(request.GET["script"])}"></script>'
    )
    response["Content-Security-Policy"] = "default-src *"  # their site, their policy
    return response


urlpatterns = [path("partner-site/", partner_page), path("", include("slotwise.config.urls"))]
