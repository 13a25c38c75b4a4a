import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import Event
from concerns import services
from concerns.models import DEFAULT_MATRIX, RiskAssessment, RiskMatrix, default_cells
from tests.factories import ConcernFactory

pytestmark = pytest.mark.django_db

# The default matrix of docs/process.md section 2, row by row.
DEFAULT_MATRIX_TABLE = """
0 | Normal | Normal | QA | PPM | JIMP | SOSG
1 | Normal | QA | QA | PPM | JIMP | SOSG
2 | QA | QA | PPM | PPM | JIMP | SOSG
3 | QA | PPM | PPM | JIMP | SOSG | SOSG
4 | PPM | PPM | JIMP | JIMP | SOSG | SOSG
"""


def test_default_matrix_is_the_one_in_domain_md():
    for line in DEFAULT_MATRIX_TABLE.strip().splitlines():
        engagement, *cells = [c.strip() for c in line.split("|")]
        assert [c.lower() for c in cells] == DEFAULT_MATRIX[int(engagement)]
    assert RiskMatrix.current().cells == default_cells()


@pytest.mark.parametrize("engagement,impact,level", [(0, 0, "normal"), (1, 1, "qa"), (2, 2, "ppm"),
                                                      (3, 3, "jimp"), (4, 4, "sosg"), (0, 5, "sosg")])
def test_the_matrix_recommends_the_level(officer, engagement, impact, level):
    concern = ConcernFactory(logged_by=officer)
    a = services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=engagement,
                                        impact=impact, level=None)
    assert a.recommended_level == level == a.level
    assert a.matrix == RiskMatrix.current()


def test_choosing_another_level_needs_a_reason(officer):
    concern = ConcernFactory(logged_by=officer)
    with pytest.raises(ValidationError):
        services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=1, impact=1, level="jimp")
    assert not RiskAssessment.objects.exists()
    a = services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=1, impact=1,
                                        level="jimp", override_reason="Closure announced")
    assert a.overridden and a.recommended_level == "qa"


def test_a_new_matrix_version_leaves_old_assessments_on_their_version(officer, administrator):
    concern = ConcernFactory(logged_by=officer)
    first = services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=0, impact=0, level=None)
    cells = default_cells() | {"0,0": "qa"}
    v2 = services.create_matrix_version(user=administrator, cells=cells, note="Tighter")
    assert v2.version == 2
    second = services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=0, impact=0, level=None)
    first.refresh_from_db()
    assert (first.matrix.version, first.recommended_level) == (1, "normal")
    assert (second.matrix.version, second.recommended_level) == (2, "qa")
    assert RiskMatrix.objects.get(version=1).cells == default_cells()
    assert Event.objects.filter(kind="risk_matrix_version_created").get().changes == {"0,0": ["normal", "qa"]}


def test_matrix_versions_are_never_edited_in_place(administrator):
    v1 = RiskMatrix.current()
    v1.cells = default_cells() | {"0,0": "sosg"}
    with pytest.raises(ValidationError):
        v1.save()
    assert RiskMatrix.current().cells == default_cells()


def test_only_administrators_change_the_matrix(officer):
    with pytest.raises(PermissionDenied):
        services.create_matrix_version(user=officer, cells=default_cells() | {"0,0": "qa"}, note="x")
    assert RiskMatrix.objects.count() == 1
