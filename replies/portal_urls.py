from django.urls import path

from . import portal_views

# Provider-facing pages, served under /portal/ (the portal boundary lets provider contacts reach only /portal/).
app_name = "replies_portal"
urlpatterns = [
    path("actions/", portal_views.actions, name="actions"),
    path("actions/<int:action_id>/update/", portal_views.action_update, name="action_update"),
    path("appeals/", portal_views.appeals, name="appeals"),
    path("appeals/against/<int:decision_id>/", portal_views.appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", portal_views.appeal_detail, name="appeal_detail"),
]
