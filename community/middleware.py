from django.middleware.locale import LocaleMiddleware


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese first: English only when the visitor picks it with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which
    would show English to a Chinese resident whose phone happens to be set to
    English. The switch's cookie (and nothing else) chooses the language here.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
