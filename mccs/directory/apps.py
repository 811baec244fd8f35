from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "mccs.directory"
    label = "directory"
