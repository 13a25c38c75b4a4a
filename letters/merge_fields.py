"""The fixed, documented set of merge fields a letter template may use, written `{{ name }}` (see markup.py)."""

import re

MERGE_FIELDS = {
    "council_name": "The council's name (letter settings)",
    "provider_name": "The provider's registered name",
    "provider_address": "The provider's address and postcode",
    "cqc_location_id": "The provider's CQC location ID",
    "registered_manager": "The registered manager, or 'The Registered Manager'",
    "case_reference": "The escalation case reference, e.g. CASE-00012",
    "letter_date": "The date the letter is issued, e.g. 23 November 2026",
    "free_text": "The paragraphs the officer writes for this letter (required when used)",
    "improvement_plan": "The improvement plan as a table: area, action, owner, due date, status",
    "plan_review_date": "The improvement plan's review date",
    "route_deadline": "The next suspension-route decision date",
    "conditions": "The lifting conditions and their review dates, as a table",
    "oversight_until": "When greater initial oversight ends",
    "meeting_date": "The date of the meeting the letter invites the provider to (required when used)",
    "appeal_lodged_on": "The date the provider lodged the appeal this letter answers (appeal outcome letters)",
    "appeal_decided_on": "The date the appeal was decided (appeal outcome letters)",
    "appeal_outcome": "The outcome of the appeal, e.g. 'Decision upheld: the suspension stands'",
    "appeal_reasons": "The reasons the senior officer gave for the appeal decision (appeal outcome letters)",
    "signatory_name": "Who signs (letter settings)",
    "signatory_title": "The signatory's job title (letter settings)",
}

TOKEN = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")


def fields_used(body: str) -> set[str]:
    return set(TOKEN.findall(body))
