from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "intelligence"
    verbose_name = "Intelligence: CQC ratings, quality audits, early-warning triggers and monitoring visits"
