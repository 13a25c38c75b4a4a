from django.urls import path

from . import views

#: Joined to the providers' own addresses under /providers/ (config/urls.py), so they keep their names.
provider_pages = [
    path("", views.provider_list, name="list"),
    path("<int:pk>/", views.provider_detail, name="detail"),
    path("<int:pk>/risk-chart.svg", views.provider_risk_chart, name="risk_chart"),
]
