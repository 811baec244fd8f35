"""Web UI routes: one module per domain, so each domain's pages live apart."""

from mccs.web import urls_accounts, urls_admin, urls_directory, urls_ledger, urls_pwa

app_name = "web"

urlpatterns = [
    *urls_accounts.urlpatterns,
    *urls_ledger.urlpatterns,
    *urls_directory.urlpatterns,
    *urls_admin.urlpatterns,
    *urls_pwa.urlpatterns,
]
