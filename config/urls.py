from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

admin.site.site_header = "Provider concerns: administration"
admin.site.site_title = "Provider concerns administration"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),  # sign-in, security code, set-up, sign-out, your account
    path("notifications/<int:pk>/read/", account_views.notification_read, name="notification_read"),
    path("providers/", include("providers.urls")),
    path("concerns/", include("concerns.urls")),
    path("cases/", include("escalation.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("letters/", include("letters.urls")),
    path("admin/", admin.site.urls),
]
