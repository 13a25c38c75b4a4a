from django.urls import path

from . import views

app_name = "placements"
urlpatterns = [
    path("", views.index, name="index"),
    path("register/", views.register, name="register"),
    path("register/internal.csv", views.register_internal_csv, name="register_internal_csv"),
    path("register/cases/<int:case_id>/episodes/<int:log_id>/", views.register_entry, name="register_entry"),
    path("providers/<int:provider_id>/", views.provider_placements, name="provider"),
    path("providers/<int:provider_id>/add/", views.placement_add, name="add"),
    path("providers/<int:provider_id>/import/", views.placement_import, name="import"),
    path("cases/<int:case_id>/reviews/", views.case_reviews, name="case_reviews"),
    path("cases/<int:case_id>/reviews/start/", views.reviews_start, name="reviews_start"),
    path("reviews/<int:pk>/assign/", views.review_assign, name="review_assign"),
    path("reviews/<int:pk>/record/", views.review_record, name="review_record"),
    path("cases/<int:case_id>/closure-plan/", views.closure_plan, name="closure_plan"),
    path("cases/<int:case_id>/closure-plan/open/", views.closure_open, name="closure_open"),
    path("cases/<int:case_id>/closure-plan/close/", views.closure_close, name="closure_close"),
    path("closure-plan/residents/<int:pk>/", views.resident_update, name="resident_update"),
    path("closure-plan/notices/<int:pk>/", views.notice_done, name="notice_done"),
]
