from django.contrib import admin
from django.urls import include, path

from mccs.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("cc/", include("mccs.federation.urls")),
    path("django-admin/", admin.site.urls),
    path("", include("mccs.web.urls")),
]
