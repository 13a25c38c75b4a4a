from django.contrib import admin
from django.urls import include, path

from home import urls as home_urls
from home import views as home_views
from providers import urls as provider_urls

admin.site.site_header = "Provider concerns: administration"
admin.site.site_title = "Provider concerns administration"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("my-deadlines/", home_views.my_deadlines, name="my_deadlines"),
    path("dashboard/", home_views.dashboard, name="dashboard"),
    path("", include("accounts.urls")),  # sign-in, security code, set-up, sign-out, your account
    path("notifications/<int:pk>/read/", home_views.notification_read, name="notification_read"),
    # a provider's own addresses, and its page gathered from every app (home), under one "providers" namespace
    path("providers/", include((provider_urls.urlpatterns + home_urls.provider_pages, provider_urls.app_name))),
    path("concerns/", include("concerns.urls")),
    path("cases/", include("escalation.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("letters/", include("letters.urls")),
    path("oversight/", include("oversight.urls")),
    path("portal/", include("portal.urls")),  # provider contacts only, like the next line
    path("provider-portal/", include("portal.staff_urls")),  # the council's side of the portal (staff only)
    path("portal/", include("replies.portal_urls")),
    path("replies/", include("replies.urls")),
    path("placements/", include("placements.urls")),
    path("intelligence/", include("intelligence.urls")),
    path("admin/", admin.site.urls),
]
