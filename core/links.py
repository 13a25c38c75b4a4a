"""Links to one record, cheaply: `link("concerns:detail", pk)` is `reverse("concerns:detail", args=[pk])`.

A long list draws one link a row, and Django's reverse() walks the URL resolver each time (about 50 µs; 140 of
them were 8 ms of My work). Here each URL name is reversed once, with a marker in place of the id, per URL
configuration and script prefix; after that a link is a string format. Only for URLs whose one argument is an
integer id."""

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_MARK = 987654321
_TEMPLATES: dict[tuple, str] = {}


def link(name: str, pk) -> str:
    key = (name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    template = _TEMPLATES.get(key)
    if template is None:
        url = reverse(name, args=[_MARK])
        if url.count(str(_MARK)) != 1 or "{" in url or "}" in url:  # not a simple one-id URL: no shortcut
            return reverse(name, args=[pk])
        template = _TEMPLATES[key] = url.replace(str(_MARK), "{}")
    return template.format(int(pk))
