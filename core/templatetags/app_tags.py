import datetime

from django import template

from core.dates import from_iso, long_date

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def iso_date(value):
    """A date kept as ISO text (a report's snapshot of its plan and conditions) in the pages' date style."""
    parsed = from_iso(value)
    return long_date(parsed) if isinstance(parsed, datetime.date) else value


@register.filter
def summary_links(form):
    """(id, message) for each entry of a form's error summary; each id is the first control of its field."""
    from core.rows import summary_links as links

    return links(form)


@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """This page's query string with `param` set to `number` (the other filters and page numbers kept)."""
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode()
