from django.db import migrations

DEFAULT_MATRIX = {
    0: ["normal", "normal", "qa", "ppm", "jimp", "sosg"],
    1: ["normal", "qa", "qa", "ppm", "jimp", "sosg"],
    2: ["qa", "qa", "ppm", "ppm", "jimp", "sosg"],
    3: ["qa", "ppm", "ppm", "jimp", "sosg", "sosg"],
    4: ["ppm", "ppm", "jimp", "jimp", "sosg", "sosg"],
}


def create_version_1(apps, schema_editor):
    RiskMatrix = apps.get_model("concerns", "RiskMatrix")
    if not RiskMatrix.objects.exists():
        RiskMatrix.objects.create(
            version=1,
            cells={f"{e},{i}": DEFAULT_MATRIX[e][i] for e in range(5) for i in range(6)},
            note="The council's default matrix",
        )


class Migration(migrations.Migration):
    dependencies = [("concerns", "0001_initial")]
    operations = [migrations.RunPython(create_version_1, migrations.RunPython.noop)]
