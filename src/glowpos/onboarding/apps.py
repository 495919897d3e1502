from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "glowpos.onboarding"
    label = "onboarding"
    verbose_name = "Onboarding (imports)"
