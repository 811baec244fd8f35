from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mccs.core"
    label = "core"
