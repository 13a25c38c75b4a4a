from django.urls import path

from . import route_views, views

app_name = "escalation"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("how-the-process-works/", views.how_it_works, name="how_it_works"),
    path("new/provider/<int:provider_id>/", views.case_open, name="open"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/timeline/", views.case_timeline, name="timeline"),
    path("<int:pk>/deadlines/", views.case_deadlines, name="deadlines"),
    path("<int:pk>/move/<str:transition_name>/", views.case_move, name="move"),
    path("<int:pk>/meetings/new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/meetings/documents/<int:document_id>/", views.meeting_document, name="meeting_document"),
    path("<int:pk>/plans/new/", views.plan_create, name="plan_create"),
    path("<int:pk>/plans/<int:plan_id>/actions/new/", views.action_create, name="action_create"),
    path("<int:pk>/plans/<int:plan_id>/reviews/new/", views.review_create, name="review_create"),
    path("<int:pk>/actions/<int:action_id>/", views.action_update, name="action_update"),
    path("<int:pk>/actions/<int:action_id>/notes/new/", views.progress_note_create, name="progress_note_create"),
    path("<int:pk>/link-concern/", views.link_concern, name="link_concern"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/sprg-decision/", route_views.sprg_decision, name="sprg_decision"),
    path("<int:pk>/improvement-plan/", route_views.improvement_plan_create, name="improvement_plan"),
    path("<int:pk>/report/", route_views.report_write, name="report"),
    path("<int:pk>/dmt-decision/", route_views.dmt_decision, name="dmt_decision"),
    path("<int:pk>/sign-off/", route_views.sign_off, name="sign_off"),
    path("<int:pk>/visits/new/", route_views.visit_create, name="visit_create"),
    path("<int:pk>/notifications/<int:notification_id>/", route_views.notification_done, name="notification_done"),
    path("<int:pk>/notifications/<int:notification_id>/copy/", route_views.notification_copy,
         name="notification_copy"),
    path("placement-status/", route_views.placement_status, name="placement_status"),
    path("placement-status.csv", route_views.placement_status_csv, name="placement_status_csv"),
    path("placement-status.json", route_views.placement_status_json, name="placement_status_json"),
    path("sprg/", route_views.sprg_meetings, name="sprg_meetings"),
]
