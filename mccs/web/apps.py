from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mccs.web"
    label = "web"
