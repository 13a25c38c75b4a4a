from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views

admin.site.site_header = "Provider concerns: administration"
admin.site.site_title = "Provider concerns administration"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/<int:pk>/read/", account_views.notification_read, name="notification_read"),
    path("providers/", include("providers.urls")),
    path("concerns/", include("concerns.urls")),
    path("cases/", include("escalation.urls")),
    path("deadlines/", include("deadlines.urls")),
    path("letters/", include("letters.urls")),
    path("admin/", admin.site.urls),
]
