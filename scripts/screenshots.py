"""Take screenshots of the main pages from a running server (make run) into docs/screenshots/.

Usage: .venv/bin/python scripts/screenshots.py [base_url]
Signs in as the demo users, with the security code from `manage.py demo_code` (local settings only).
"""

import subprocess  # nosec B404 # runs this project's own manage.py, below
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

PAGES = [
    ("officer", "/", "home"),
    ("officer", "/providers/", "providers"),
    ("officer", "/providers/1/", "provider-oakwood"),
    ("officer", "/providers/8/", "provider-willow-court"),
    ("officer", "/concerns/new/provider/3/", "log-concern"),
    ("cqm", "/concerns/6/", "concern-restricted"),
    ("officer", "/concerns/3/risk-assessment/", "risk-assessment"),
    ("officer", "/concerns/jqmm/", "jqmm-list"),
    ("cqm", "/concerns/jqmm/3/", "jqmm-agenda"),
    ("admin", "/concerns/risk-matrix/", "risk-matrix"),
    ("admin", "/providers/import/", "provider-import"),
    ("admin", "/providers/import/1/", "provider-import-job"),
    ("officer2", "/concerns/1/", "restricted-refused"),
    ("cqm", "/cases/", "cases"),
    ("cqm", "/cases/2/", "case-ppm"),
    ("cqm", "/cases/2/meetings/", "case-meetings"),
    ("cqm", "/cases/2/plans/", "case-plans"),
    ("officer", "/cases/12/decisions/", "case-decisions"),
    ("cqm", "/cases/1/", "case-qa-not-resolved"),
    ("officer", "/cases/4/meetings/new/", "meeting-form"),
    ("cqm", "/cases/17/", "case-provider-failure"),
    ("cqm", "/cases/how-the-process-works/", "how-it-works"),
    ("officer", "/cases/placement-status/", "placement-status"),
    ("dass", "/cases/14/", "case-awaiting-sign-off"),
    ("dass", "/cases/14/sign-off/", "sign-off"),
    ("officer", "/cases/12/", "case-suspended"),
    ("cqm2", "/letters/8/", "letter-issued"),
    ("cqm", "/letters/3/", "letter-draft"),
    ("cqm2", "/", "home-with-deadlines"),
    ("dass", "/", "home-dass"),
    ("cqm", "/dashboard/", "dashboard"),
    ("cqm", "/oversight/reports/", "board-reports"),
    ("sprg", "/oversight/packs/", "meeting-packs"),
    ("sprg", "/oversight/packs/1/", "meeting-pack-ready"),
    ("sprg", "/", "home-sprg"),
    ("officer", "/concerns/risk-matrix/", "narrow-risk-matrix", 320),
    ("officer2", "/cases/3/", "case-restricted-uncleared"),
    ("officer", "/account/", "account"),
    ("admin", "/letters/templates/", "letter-templates"),
    ("caremanager", "/placements/", "people-placed"),
    ("caremanager", "/placements/cases/12/reviews/", "placement-reviews"),
    ("cqm", "/placements/cases/8/closure-plan/", "closure-plan"),
    ("cqm", "/placements/register/", "register-of-suspensions"),
    ("officer", "/intelligence/", "intelligence"),
    ("officer", "/intelligence/suggestions/1/", "suggested-concern"),
    ("officer", "/intelligence/visits/", "visits-due"),
    ("cqm", "/replies/", "portal-updates-and-appeals"),
    ("dmt", "/replies/appeals/1/", "appeal-decision"),
    ("cqm", "/provider-portal/providers/8/contacts/", "portal-contacts"),
]
# The providers' portal, signed in through its own sign-in page.
PORTAL_PAGES = [
    ("provider", "/portal/", "portal-home"),
    ("provider", "/portal/actions/", "portal-plan-actions"),
    ("provider", "/portal/appeals/", "portal-appeals"),
    ("provider", "/portal/shared/1/", "portal-shared-item"),
]


def demo_code(username: str) -> str:
    """The demo user's current security code, from the same database as the running server (make run)."""
    result = subprocess.run(  # nosec B603 # this Python and manage.py, fixed argv, no shell; a demo username
        [sys.executable, "manage.py", "demo_code", username], cwd=ROOT, check=True,
                            capture_output=True, text=True)
    return result.stdout.strip()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        contexts = {}
        # The second step of signing in, as a person sees it after their password.
        ctx = browser.new_context(viewport={"width": 1100, "height": 900})
        page = ctx.new_page()
        page.goto(BASE + "/sign-in/")
        page.get_by_label("Username").fill("officer")
        page.get_by_label("Password").fill("demo-password-2026")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Security code").wait_for()
        page.screenshot(path=str(OUT / "sign-in-code.png"), full_page=True)
        ctx.close()
        for user, path, name, *width in PAGES:
            if user not in contexts:
                ctx = browser.new_context(viewport={"width": 1100, "height": 900})
                page = ctx.new_page()
                page.goto(BASE + "/sign-in/")
                page.get_by_label("Username").fill(user)
                page.get_by_label("Password").fill("demo-password-2026")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_label("Security code").fill(demo_code(user))
                page.get_by_role("button", name="Continue").click()
                page.get_by_role("heading", name="My work").wait_for()
                contexts[user] = page
            page = contexts[user]
            page.set_viewport_size({"width": width[0] if width else 1100, "height": 900})
            page.goto(BASE + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(name, page.title())
        for user, path, name in PORTAL_PAGES:
            if user not in contexts:
                ctx = browser.new_context(viewport={"width": 1100, "height": 900})
                page = ctx.new_page()
                page.goto(BASE + "/portal/sign-in/")
                page.get_by_label("Username").fill(user)
                page.get_by_label("Password").fill("demo-password-2026")
                page.get_by_role("button", name="Sign in").click()
                page.get_by_label("Security code").fill(demo_code(user))
                page.get_by_role("button", name="Continue").click()
                page.wait_for_load_state()
                contexts[user] = page
            page = contexts[user]
            page.goto(BASE + path)
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(name, page.title())
        browser.close()


if __name__ == "__main__":
    main()
