from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mccs.api"
    label = "api"
