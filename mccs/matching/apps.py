from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "mccs.matching"
    label = "matching"
