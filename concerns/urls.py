from django.urls import path

from . import views

app_name = "concerns"
urlpatterns = [
    path("", views.concern_list, name="list"),
    path("new/", views.concern_create, name="create"),
    path("new/provider/<int:provider_id>/", views.concern_create, name="create_for_provider"),
    path("<int:pk>/", views.concern_detail, name="detail"),
    path("<int:pk>/advice/", views.advice_create, name="advice"),
    path("<int:pk>/route/", views.route, name="route"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/monitoring/", views.monitoring_create, name="monitoring"),
    path("<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("<int:pk>/evidence/<int:evidence_id>/", views.evidence_download, name="evidence_download"),
    path("<int:pk>/share/", views.share, name="share"),
    path("<int:pk>/risk-assessment/", views.risk_assessment_create, name="assess"),
    path("jqmm/", views.jqmm_list, name="jqmm_list"),
    path("jqmm/new/", views.jqmm_create, name="jqmm_create"),
    path("jqmm/<int:pk>/", views.jqmm_detail, name="jqmm_detail"),
    path("jqmm/<int:pk>/outcome/<int:concern_id>/", views.jqmm_outcome, name="jqmm_outcome"),
    path("risk-matrix/", views.risk_matrix, name="risk_matrix"),
    path("risk-matrix/new/", views.risk_matrix_new, name="risk_matrix_new"),
]
