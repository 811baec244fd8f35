"""URLs of the installable app (included by mccs/web/urls.py): manifest, service worker, offline page."""

from django.urls import path

from mccs.web.views import pwa

urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline", pwa.offline, name="offline"),
]
