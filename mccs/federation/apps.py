from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "mccs.federation"
    label = "federation"
    verbose_name = "Federation (Credit Commons)"
    default_auto_field = "django.db.models.BigAutoField"
