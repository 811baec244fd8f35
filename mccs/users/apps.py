from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "mccs.users"
    label = "users"
