from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("packs/", views.packs, name="packs"),
    path("packs/<int:pk>/", views.pack, name="pack"),
    path("packs/<int:pk>/download/", views.pack_download, name="pack_download"),
    path("reports/", views.board_reports, name="reports"),
    path("reports/<slug:key>.svg", views.report_chart, name="report_chart"),
    path("cases/<int:pk>/whole-record.zip", views.case_record, name="case_record"),
]
