"""``/cc/``: the Credit Commons protocol, node to node (views.py)."""

from django.urls import path

from mccs.federation import link_views, views

urlpatterns = [
    path("", views.root),
    path("about", views.about),
    path("absolutepath", views.absolute_path),
    path("handshake", views.handshake),
    path("mccs/link", link_views.link),
    path("mccs/link/align", link_views.align),
    path("mccs/directory", link_views.directory),
    path("mccs/contact", link_views.contact),
    path("transaction/relay", views.relay),
    path("transaction/<str:uuid>/<str:state>", views.state_change),
    path("transaction/<str:uuid>", views.transaction),
    path("transactions", views.transactions),
    path("entries", views.entries),
    path("account/names", views.account_names),
    path("account/summary", views.account_summary),
    path("account/limits", views.account_limits),
    path("account/history", views.account_history),
]
