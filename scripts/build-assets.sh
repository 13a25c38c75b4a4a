#!/usr/bin/env bash
# `make assets`: rebuild static/govuk/ from govuk-frontend (pinned in assets/package.json) with the council's
# font stack. Only the CSS and JS are copied: the crown/crest images and the GDS Transport font are reserved
# for GOV.UK. The outputs are committed, so `make run` and `make test` never need npm.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v npm >/dev/null 2>&1 || { echo "npm is needed: apt-get install -y npm" >&2; exit 1; }

(cd assets && npm install --no-audit --no-fund)

mkdir -p static/govuk
# Use the locally installed sass (a bare `npx sass` from the repo root would fetch whatever is newest).
assets/node_modules/.bin/sass --style=compressed --no-source-map --quiet --load-path=assets/node_modules \
    assets/council.scss static/govuk/govuk-frontend.min.css
cp assets/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/

if grep -q "GDS Transport" static/govuk/govuk-frontend.min.css; then
    echo "static/govuk/govuk-frontend.min.css mentions GDS Transport: check assets/council.scss" >&2
    exit 1
fi
ls -l static/govuk/
