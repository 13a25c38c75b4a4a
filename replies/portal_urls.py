from django.urls import path  # noqa: F401

# Provider-facing pages, served under /portal/ (the portal boundary lets provider contacts reach only /portal/).
app_name = "replies_portal"
urlpatterns = []
