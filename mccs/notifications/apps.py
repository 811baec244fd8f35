from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "mccs.notifications"
    label = "notifications"
