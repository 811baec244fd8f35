from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mccs.audit"
    label = "audit"
