from django.urls import path

from . import views

app_name = "deadlines"
urlpatterns = [
    path("<int:pk>/extend/", views.extend, name="extend"),
    path("<int:pk>/waive/", views.waive, name="waive"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar"),
    path("calendar-link/", views.calendar_link, name="calendar_link"),
]
