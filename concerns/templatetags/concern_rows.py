"""The rows of a table of concerns (templates/includes/concern_table.html), written in Python: the lists of a busy
provider's page, My work and the concerns list draw dozens of rows, and a template loop cost each page several
milliseconds. Every value goes through format_html, which escapes it as the template's {{ }} did; the format
strings below are constants."""

from django import template
from django.utils.html import format_html, format_html_join

from core.dates import long_date

register = template.Library()

TAG = ' <strong class="govuk-tag govuk-tag--purple">Safeguarding restricted</strong>'
ROW = '<tr class="govuk-table__row">{cells}</tr>'


def _format(*, cleared: bool, restricted: bool, provider: bool) -> str:
    if cleared:
        cells = ['<td class="govuk-table__cell"><a class="govuk-link" href="{url}">{reference}</a>'
                 + (TAG if restricted else "") + "</td>"]
        if provider:
            cells.append('<td class="govuk-table__cell">{provider}</td>')
        cells += ['<td class="govuk-table__cell">{received}</td>', '<td class="govuk-table__cell">{source}</td>',
                  '<td class="govuk-table__cell"><strong class="govuk-tag {tag}">{state}</strong></td>']
    else:
        cells = ['<td class="govuk-table__cell">{reference}' + TAG + "</td>"]
        if provider:
            cells.append('<td class="govuk-table__cell">Restricted</td>')
        cells.append('<td class="govuk-table__cell" colspan="3">You are not cleared to see this concern</td>')
    return ROW.format(cells="".join(cells))


FORMATS = {(cleared, restricted, provider): _format(cleared=cleared, restricted=restricted, provider=provider)
           for cleared in (True, False) for restricted in (True, False) for provider in (True, False)}


def _row(concern, provider: bool):
    fmt = FORMATS[(bool(concern.cleared), bool(concern.restricted), provider)]
    if not concern.cleared:
        return format_html(fmt, reference=concern.reference)
    return format_html(fmt, url=concern.get_absolute_url(), reference=concern.reference,
                       provider=concern.provider if provider else "", received=long_date(concern.received_on),
                       source=concern.get_source_display(), tag=concern.state_tag, state=concern.get_state_display())


@register.simple_tag
def concern_rows(concerns, hide_provider=False):
    return format_html_join("\n", "{}", ((_row(c, not hide_provider),) for c in concerns))
