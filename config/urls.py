from django.contrib import admin
from django.urls import include, path

from mccs.api.api import api
from mccs.web.metrics import metrics

urlpatterns = [
    path("api/v1/", api.urls),
    path("cc/", include("mccs.federation.urls")),
    path("django-admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),
    path("", include("mccs.web.urls")),
]
