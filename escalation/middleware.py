from django.contrib import messages
from django.shortcuts import redirect

from .views import CaseClosed


class CaseClosedMiddleware:
    """Turns an action on a closed case into a plain message on the case page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CaseClosed):
            case = exception.args[0]
            messages.error(request, f"Case {case.reference} is closed ({case.get_level_display()}); "
                                    "reopen it to act on it. Nothing was changed.")
            return redirect(case)
        return None
