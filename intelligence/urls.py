from django.urls import path

from . import views

app_name = "intelligence"
urlpatterns = [
    path("", views.index, name="index"),
    path("ratings/import/", views.ratings_import, name="ratings_import"),
    path("ratings/import/<int:pk>/", views.ratings_import_job, name="ratings_import_job"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/<int:pk>/", views.suggestion, name="suggestion"),
    path("suggestions/<int:pk>/accept/", views.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/dismiss/", views.suggestion_dismiss, name="suggestion_dismiss"),
    path("triggers/", views.triggers, name="triggers"),
    path("triggers/new/", views.trigger_edit, name="trigger_new"),
    path("triggers/<int:pk>/", views.trigger_edit, name="trigger_edit"),
]
urlpatterns += [
    path("visits/", views.visits_due, name="visits_due"),
    path("visits/new/provider/<int:provider_id>/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/<int:pk>/concern/", views.visit_concern, name="visit_concern"),
    path("audits/", views.audits, name="audits"),
    path("audits/new/provider/<int:provider_id>/", views.audit_new, name="audit_new"),
    path("audits/<int:pk>/", views.audit, name="audit"),
    path("cqc-meetings/", views.cqc_meetings, name="cqc_meetings"),
    path("cqc-meetings/new/", views.cqc_meeting_new, name="cqc_meeting_new"),
    path("cqc-meetings/<int:pk>/", views.cqc_meeting, name="cqc_meeting"),
]
