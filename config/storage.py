"""Static files in production: hashed names, compressed copies, served by WhiteNoise with long cache headers."""

import posixpath
from urllib.parse import urldefrag

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

# govuk-frontend's compiled CSS still names these files, but the council build leaves them out on purpose:
# the crest is reserved for GOV.UK (ADR 0005). No page uses the rule that loads it (the footer has no
# copyright logo). Any other missing file still stops `collectstatic`.
OMITTED = frozenset({"govuk/assets/images/govuk-crest.svg"})


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # app.js is an ES module that imports govuk-frontend.min.js: rewrite the import to the hashed name too,
    # so every file a page loads has a hashed name and can be cached for a year.
    support_js_module_import_aggregation = True

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            url_path = urldefrag(matchobj.groupdict()["url"])[0]
            if url_path.startswith(settings.STATIC_URL):
                target = url_path.removeprefix(settings.STATIC_URL)
            else:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), url_path))
            if target in OMITTED:
                return matchobj.groupdict()["matched"]
            return convert(matchobj)

        return converter
