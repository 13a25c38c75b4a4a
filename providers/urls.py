from django.urls import path

from . import views

app_name = "providers"
urlpatterns = [
    path("", views.provider_list, name="list"),
    path("new/", views.provider_edit, name="create"),
    path("import/", views.provider_import, name="import"),
    path("<int:pk>/", views.provider_detail, name="detail"),
    path("<int:pk>/risk-chart.svg", views.provider_risk_chart, name="risk_chart"),
    path("<int:pk>/edit/", views.provider_edit, name="edit"),
]
