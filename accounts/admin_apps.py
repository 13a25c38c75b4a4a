from django.contrib.admin.apps import AdminConfig


class VerifiedAdminConfig(AdminConfig):
    """The Django admin, on a site that also needs the second factor (accounts.admin_site)."""

    default_site = "accounts.admin_site.VerifiedAdminSite"
