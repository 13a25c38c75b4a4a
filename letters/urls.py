from django.urls import path

from . import views

app_name = "letters"
urlpatterns = [
    path("case/<int:case_id>/new/", views.letter_create, name="create"),
    path("<int:pk>/", views.letter_detail, name="detail"),
    path("<int:pk>/preview.pdf", views.letter_preview, name="preview"),
    path("<int:pk>/issue/", views.letter_issue, name="issue"),
    path("<int:pk>/download.pdf", views.letter_download, name="download"),
    path("<int:pk>/delivery/", views.letter_delivery, name="delivery"),
    path("<int:pk>/withdraw/", views.letter_withdraw, name="withdraw"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:kind>/new/", views.template_new_version, name="template_new"),
]
