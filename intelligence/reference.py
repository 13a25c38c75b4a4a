"""The reference data intelligence starts with: visit frequencies (risk level x CQC rating -> months) and the
quality audit's five domains and sixteen standards (docs/process.md, "Monitoring visits" and "Quality audits").
Written by migration 0003 (with the historical models) and put back by `ensure()` where a test flushed it."""

# Months between routine visits by risk level; a weaker CQC rating shortens the gap (never lengthens it).
BY_RISK = {"normal": 12, "qa": 6, "ppm": 3, "jimp": 2, "sosg": 1}
RATING_CAP = {"outstanding": None, "good": None, "requires_improvement": 6, "inadequate": 3, "unrated": 6}

DOMAINS = [
    (1, "People's needs", ["Assessing people's needs", "Planning care and support", "Consent and mental capacity"]),
    (2, "Delivering care", ["Personal care and daily living", "Eating and drinking", "Medicines",
                            "Health and well-being"]),
    (3, "Keeping people safe", ["Safeguarding", "Infection prevention and control", "Premises and equipment",
                                "Managing risks"]),
    (4, "Staffing", ["Staffing levels", "Recruitment", "Training and supervision"]),
    (5, "Leadership", ["Governance and quality assurance", "Complaints and feedback"]),
]


def default_months(risk_level: str, rating: str) -> int:
    months = BY_RISK[risk_level]
    return min(months, RATING_CAP.get(rating) or months)


def create(visit_frequency, audit_domain, audit_standard) -> None:
    """Add whatever is missing (never changes a row an administrator edited)."""
    for risk in BY_RISK:
        for rating in RATING_CAP:
            visit_frequency.objects.get_or_create(risk_level=risk, rating=rating,
                                                  defaults={"months": default_months(risk, rating)})
    number = 0
    for domain_number, name, standards in DOMAINS:
        domain, _ = audit_domain.objects.get_or_create(number=domain_number, defaults={"name": name})
        for standard in standards:
            number += 1
            audit_standard.objects.get_or_create(number=number, defaults={"domain": domain, "name": standard})


def ensure() -> None:
    from .models import AuditDomain, AuditStandard, VisitFrequency

    create(VisitFrequency, AuditDomain, AuditStandard)
