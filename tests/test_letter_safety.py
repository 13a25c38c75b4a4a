"""Letters render only what the council wrote, and fetch nothing.

A socket listener on a loopback port records every connection made to it, and a planted file holds a sentinel
phrase: whatever a template, a merge value or a logo names, no request reaches the listener and nothing of the
file reaches the PDF. A control test shows that WeasyPrint's own fetcher, on the same HTML, does both, so the
checks here can fail.
"""

import base64
import html
import socket
import subprocess
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from weasyprint import HTML

from accounts import roles
from letters import markup, services
from letters.defaults import DEFAULT_TEMPLATES
from letters.models import Letter, LetterSettings, LetterTemplate
from letters.rendering import LOGO_URL, LetterAssetFetcher, RefusedFetch, render_html
from tests.factories import CaseFactory, ProviderFactory, UserFactory
from tests.test_views import PNG

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL-7Q2X-SECRET-PHRASE"


class Listener:
    """A TCP server on 127.0.0.1:0 that records every connection and answers HTTP 404."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass
                self.requests.append(data or b"(connection without a request)")

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(f"{SENTINEL}\n")
    return path


@pytest.fixture
def cqm(db):
    return UserFactory(roles=[roles.CQM])


@pytest.fixture
def officer(db):
    return UserFactory(roles=[roles.CONTRACT_OFFICER])


@pytest.fixture
def admin(db):
    return UserFactory(roles=[roles.ADMINISTRATOR])


def run(*args, data: bytes) -> str:
    return subprocess.run(list(args), input=data, capture_output=True, check=True).stdout.decode()


def pdf_text(data: bytes) -> str:
    return run("pdftotext", "-enc", "UTF-8", "-", "-", data=data)


def flat(text: str) -> str:
    return " ".join(text.split())


def squash(text: str) -> str:
    """Without any white space: a long address may be broken over two lines on the page."""
    return "".join(text.split())


def embedded_files(data: bytes, tmp_path) -> int:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, check=True).stdout.decode()
    return int(out.split()[0]) if out.strip() else 0


def images(data: bytes, tmp_path) -> int:
    path = tmp_path / "check.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, check=True).stdout.decode()
    return len(out.strip().splitlines()[2:])


def svg_that_fetches(port: int, secret_png) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="20">
  <style>@font-face {{ font-family: Leak; src: url(http://127.0.0.1:{port}/svg-font.ttf); }}
    rect {{ fill: url(http://127.0.0.1:{port}/svg-fill#p); }}</style>
  <rect width="40" height="20" fill="#1d70b8"/>
  <image href="http://127.0.0.1:{port}/svg-image.png" width="10" height="10"/>
  <image xlink:href="file://{secret_png}" width="10" height="10"/>
  <text font-family="Leak" x="0" y="15">NB</text>
</svg>""".encode()


def payloads(port: int, secret) -> dict:
    """Each injection, and a part of it the refusal message must name."""
    svg = base64.b64encode(f'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://127.0.0.1:{port}/'
                           'from-data-uri" width="5" height="5"/></svg>'.encode()).decode()
    return {
        "attachment": (f'<link rel="attachment" href="file://{secret}">', "HTML: <link rel="),
        "image": (f'<img src="http://127.0.0.1:{port}/img.png" alt="">', "HTML: <img src="),
        "https_image": (f'<img src="https://127.0.0.1:{port}/tls.png">', "HTML: <img src="),
        "css_url": (f"body {{ background: url(http://127.0.0.1:{port}/css.png) }}",
                    "style rule: url(http://127.0.0.1"),
        "style_block": (f'<style>@import url("http://127.0.0.1:{port}/import.css"); '
                        f"body {{ background: url(file://{secret}) }}</style>", "HTML: <style>"),
        "iframe": (f'<iframe src="file://{secret}"></iframe>', "HTML: <iframe src="),
        "object": (f'<object data="http://127.0.0.1:{port}/object.svg"></object>', "HTML: <object data="),
        "data_uri": (f"data:image/svg+xml;base64,{svg}", "web or file address: data:image/svg+xml;base64,"),
        "data_uri_in_img": (f'<img src="data:image/svg+xml;base64,{svg}">', "HTML: <img src="),
        "javascript": ('javascript:fetch("http://127.0.0.1/")', "script: javascript:fetch"),
    }


PAYLOAD_NAMES = list(payloads(1, "/x"))


def new_draft(user, kind="at_risk", free_text="Medication errors on two units.", provider=None, **kw):
    case = CaseFactory(level="sosg", provider=provider or ProviderFactory())
    return services.create_draft(user=user, case_id=case.pk, kind=kind, free_text=free_text,
                                 addressee=kw.pop("addressee", "Jo Bloggs\n1 High St\nNF1 1AA"), **kw)


def force_template(kind: str, subject: str, body: str) -> LetterTemplate:
    """Put a template version in the database past every check, as a database edit would."""
    latest = LetterTemplate.latest(kind)
    LetterTemplate.objects.bulk_create([LetterTemplate(kind=kind, version=latest.version + 1, subject=subject,
                                                       body=body, note="forced")])
    return LetterTemplate.latest(kind)


def assert_nothing_fetched(data: bytes, listener, tmp_path):
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert SENTINEL not in text
    assert embedded_files(data, tmp_path) == 0
    assert images(data, tmp_path) == 0  # no logo is set, so any image would be a fetched one
    assert listener.requests == []
    return text


# ---------------------------------------------------------------------------------- the harness can fail


def test_control_weasyprints_own_fetcher_would_leak_what_these_tests_look_for(listener, secret, tmp_path):
    """Without LetterAssetFetcher the same HTML embeds the file and calls the listener."""
    document = (f'<html><head><link rel="attachment" href="file://{secret}"></head><body>'
                f'<img src="http://127.0.0.1:{listener.port}/img.png"><p>x</p></body></html>')
    data = HTML(string=document).write_pdf()
    assert embedded_files(data, tmp_path) == 1
    assert listener.requests and b"GET /img.png" in listener.requests[0]


# ----------------------------------------------------------------------------------------- saving


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_a_template_with_an_injection_is_refused_naming_the_part(name, admin, listener, secret):
    body, named = payloads(listener.port, secret)[name]
    before = LetterTemplate.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.create_template_version(user=admin, kind="at_risk", subject="At risk: {{ provider_name }}",
                                         body=f"Dear {{{{ registered_manager }}}},\n\n{body}", note="test")
    assert any(named in message for message in refused.value.message_dict["body"]), refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.create_template_version(user=admin, kind="at_risk", subject=f"At risk {body}",
                                         body="Dear {{ registered_manager }}", note="test")
    assert "subject" in refused.value.message_dict
    assert LetterTemplate.objects.count() == before


def test_the_template_page_shows_the_refusal_and_saves_nothing(client, admin, listener, secret):
    client.force_login(admin)
    body = f'Dear {{{{ registered_manager }}}},\n\n<img src="http://127.0.0.1:{listener.port}/x">'
    response = client.post("/letters/templates/at_risk/new/", {"subject": "At risk", "body": body, "note": "x"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert f'The body contains HTML: <img src="http://127.0.0.1:{listener.port}/x">' in page
    assert "Use the letter markup only" in page
    response = client.post("/letters/templates/at_risk/new/",
                           {"subject": "At risk", "body": "Dear {{ provder_name }}", "note": "x"})
    assert "Unknown merge field: {{ provder_name }}. The merge fields are listed below." in html.unescape(
        response.content.decode())
    assert LetterTemplate.objects.filter(kind="at_risk").count() == 1
    assert listener.requests == []


def test_the_template_pages_explain_the_markup(client, admin):
    client.force_login(admin)
    for url in ("/letters/templates/", "/letters/templates/at_risk/new/"):
        page = html.unescape(client.get(url).content.decode())
        assert "How to write a letter template" in page
        assert "**within 5 working days**" in page and "{{ improvement_plan }}" in page
        assert "You cannot use HTML" in page


def test_the_draft_form_does_not_show_template_syntax_to_officers(client, officer):
    client.force_login(officer)
    case = CaseFactory(level="sosg")
    page = client.get(f"/letters/case/{case.pk}/new/").content.decode()
    assert "The text of the letter in your own words" in page and "{{" not in html.unescape(page)


def test_template_text_that_only_looks_technical_is_accepted():
    for text in ("The data: we hold is shared with the CQC", "Keep this on file: thank you",
                 "R&D, St Mary & St John", "Care is 24/7 and/or on call", "Staffing fell to < 5 at night",
                 "Email us: contracts.quality@example.gov.uk", "Tel: 01234 567890"):
        assert markup.problems(text) == [], text


@pytest.mark.parametrize("text, named", [
    ("&#60;img src=x&#62;", "HTML character code: &#60;"),
    ("&lt;b&gt;", "HTML character code: &lt;"),
    ("Visit www.example.com", "web or file address: www.example.com"),
    ("See //evil.example/x", "web or file address: //evil.example/x"),
    ("ftp://127.0.0.1/x", "web or file address: ftp://127.0.0.1/x"),
    ("file:///etc/passwd", "web or file address: file:///etc/passwd"),
    ("{% load static %}", "template code: {% load static %}"),
    ("{# note #}", "template code: {# note #}"),
    ("{{ provider_name|safe }}", "template code: {{ provider_name|safe }}"),
    ("Dear {{ provider_name", "template code: {{ provider_name"),
    ("Dear {{ provder_name }}", "Unknown merge field: {{ provder_name }}"),
    ("See {{ improvement_plan }} below", "{{ improvement_plan }} is a table: put it in a paragraph of its own"),
])
def test_each_kind_of_refusal_names_the_part(text, named):
    found = markup.problems(text)
    assert any(named in message for message in found), found


def test_every_template_in_the_database_and_every_default_is_valid_markup():
    for subject, body in DEFAULT_TEMPLATES.values():
        assert markup.template_errors(subject=subject, body=body) == {}
    assert LetterTemplate.objects.count() >= len(DEFAULT_TEMPLATES)
    for template in LetterTemplate.objects.all():
        template.full_clean(exclude=["created_by"])


# -------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_a_forced_template_is_printed_not_loaded_in_preview_and_issue(name, client, cqm, officer, listener,
                                                                      secret, tmp_path):
    body, _ = payloads(listener.port, secret)[name]
    force_template("at_risk", f"At risk {body}"[:200],
                   f"Dear {{{{ registered_manager }}}},\n\n{body}\n\n{{{{ free_text }}}}")
    letter = new_draft(officer)
    client.force_login(officer)
    response = client.get(f"/letters/{letter.pk}/preview.pdf")
    assert response.status_code == 200
    preview = assert_nothing_fetched(response.content, listener, tmp_path)
    assert "DRAFT" in preview
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        text = assert_nothing_fetched(handle.read(), listener, tmp_path)
    # Printed as typed: the first characters of the payload are on the page as text.
    assert squash(body)[:12] in squash(text)


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_officer_text_with_an_injection_is_printed_not_loaded(name, cqm, officer, listener, secret, tmp_path):
    body, _ = payloads(listener.port, secret)[name]
    letter = new_draft(officer, free_text=f"Concerns:\n{body}\n\nSecond paragraph.",
                       addressee=f"Jo Bloggs\n{body}\nNF1 1AA")
    preview = assert_nothing_fetched(services.preview_pdf(user=officer, letter_id=letter.pk), listener, tmp_path)
    assert squash(body)[:12] in squash(preview)
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        assert_nothing_fetched(handle.read(), listener, tmp_path)


def test_names_with_quotes_ampersands_angle_brackets_and_welsh_letters_print_exactly(cqm, tmp_path):
    name = 'Tŷ Gwyn & St Mary\'s <Nursing> "Home" — Llanfair Pwllgwyngyll'
    manager = "Zoë Brontë & Siân O'Neil <RM>"
    address = '1 "Bryn" Road & Lôn Glan, Llanfair <PG>'
    free_text = 'Staff said "it\'s fine" & <b>not bold</b> — Siôn Ŵyn.\n\nNext: 5 < 6 > 4 & **not** markup?'
    provider = ProviderFactory(name=name, registered_manager=manager, address=address, postcode="LL61 5UJ")
    letter = new_draft(cqm, provider=provider, free_text=free_text, addressee=f"{manager}\n{name}\n{address}")
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        data = handle.read()
    text = flat(pdf_text(data))
    subject = f"At risk of suspension of placements: {name}"
    for expected in (subject, f"Dear {manager},", f"Service: {name}, {address}, LL61 5UJ",
                     'Staff said "it\'s fine" & <b>not bold</b> — Siôn Ŵyn.', "Next: 5 < 6 > 4 & **not** markup?"):
        assert flat(expected) in text, expected
    for doubled in ("&amp;", "&#x27;", "&#39;", "&lt;", "&gt;", "&quot;", "<p>", "<br>", "<strong>"):
        assert doubled not in text, doubled
    (tmp_path / "letter.pdf").write_bytes(data)
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(tmp_path / "letter.pdf")], capture_output=True,
                          check=True).stdout.decode()
    title = next(line for line in info.splitlines() if line.startswith("Title:"))
    assert title.split(":", 1)[1].strip() == subject


def test_the_markup_becomes_bold_lists_and_tables(cqm):
    from escalation.models import ActionPlan

    body = ("Dear {{ registered_manager }},\n\nThe council needs **three things** by {{ letter_date }}:\n"
            "- a staffing rota\n- a **medication** audit\n\n1. First step\n2. Second step\n\n{{ free_text }}\n\n"
            "{{ improvement_plan }}\n\n{{ conditions }}")
    template = force_template("suspension", "Suspension: {{ provider_name }}", body)
    assert markup.problems(body) == []
    letter = new_draft(cqm, kind="suspension", free_text="One <i>\nline two\n\nTwo & three")
    plan = ActionPlan.objects.create(case=letter.case, level="sosg", kind="cap",
                                     start_date=letter.created_at.date(), review_date=letter.created_at.date(),
                                     created_by=cqm)
    plan.actions.create(area_of_concern="Staffing <nights>", action="Recruit & train",
                        owner=plan.actions.model._meta.get_field("owner").choices[0][0],
                        due_date=letter.created_at.date())
    document = render_html(letter, template)
    assert "<p>The council needs <strong>three things</strong> by " in document
    assert "<ul><li>a staffing rota</li><li>a <strong>medication</strong> audit</li></ul>" in document
    assert "<ol><li>First step</li><li>Second step</li></ol>" in document
    assert "<p>One &lt;i&gt;<br>line two</p>\n<p>Two &amp; three</p>" in document
    assert '<th scope="col">Area of concern</th>' in document
    assert "<td>Staffing &lt;nights&gt;</td><td>Recruit &amp; train</td>" in document
    assert "<p>(none)</p>" in document  # no lifting conditions yet
    text = pdf_text(services.preview_pdf(user=cqm, letter_id=letter.pk))
    assert "three things" in text and "Staffing <nights>" in text and "Recruit & train" in text


def test_render_body_writes_every_tag_itself():
    values = {"provider_name": "<script>x</script>", "free_text": "a\n\nb",
              "conditions": markup.Table(("Condition", "Review date"), (("<b>c</b>", "1 May"),), "(none)")}
    out = markup.render_body('<img src=x onerror=y>\n\n**{{ provider_name }}** {{ nope }}\n\n{{ conditions }}',
                             values)
    assert out == ("<p>&lt;img src=x onerror=y&gt;</p>\n"
                   "<p><strong>&lt;script&gt;x&lt;/script&gt;</strong> {{ nope }}</p>\n"
                   '<table><thead><tr><th scope="col">Condition</th><th scope="col">Review date</th></tr></thead>'
                   "<tbody><tr><td>&lt;b&gt;c&lt;/b&gt;</td><td>1 May</td></tr></tbody></table>")
    assert markup.render_text("A {{ provider_name }} & {{ free_text }}", values) == "A <script>x</script> & a b"


# ---------------------------------------------------------------------------------------- the fetcher


def test_the_fetcher_refuses_every_address_but_the_logo(listener, secret):
    settings = LetterSettings.current()
    settings.logo.save("logo.png", ContentFile(PNG))
    fetcher = LetterAssetFetcher(settings)
    for url in (f"file://{secret}", secret.as_uri(), f"http://127.0.0.1:{listener.port}/x",
                f"https://127.0.0.1:{listener.port}/x", f"ftp://127.0.0.1:{listener.port}/x",
                "data:text/plain;base64," + base64.b64encode(SENTINEL.encode()).decode(), "data:,hello",
                "letter-asset:other", "letter-asset:logo/../../etc/passwd", "logo.png", "/etc/passwd"):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
        with pytest.raises(RefusedFetch):
            fetcher(url)
    assert listener.requests == []
    response = fetcher.fetch(LOGO_URL)
    assert response.read() == PNG and response.content_type == "image/png"


def test_the_fetcher_refuses_the_logo_when_none_is_set_or_it_is_not_an_image(listener):
    settings = LetterSettings.current()
    with pytest.raises(RefusedFetch):
        LetterAssetFetcher(settings).fetch(LOGO_URL)
    settings.logo.save("logo.png", ContentFile(b"<html><img src='http://127.0.0.1/'></html>"))
    with pytest.raises(RefusedFetch):
        LetterAssetFetcher(settings).fetch(LOGO_URL)


def test_preview_and_issue_draw_the_logo_through_the_fetcher(cqm, officer, tmp_path, listener):
    settings = LetterSettings.current()
    settings.logo.save("logo.png", ContentFile(PNG))
    letter = new_draft(officer)
    assert images(services.preview_pdf(user=officer, letter_id=letter.pk), tmp_path) == 1
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        assert images(handle.read(), tmp_path) == 1
    assert listener.requests == []


def test_an_svg_logo_that_names_other_addresses_loads_none_of_them(cqm, officer, listener, secret, tmp_path):
    secret_png = tmp_path / "secret.png"
    secret_png.write_bytes(PNG)
    svg = svg_that_fetches(listener.port, secret_png)
    control = HTML(string=f'<img src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}">').write_pdf()
    assert listener.requests and images(control, tmp_path) == 1  # control: weasyprint alone would load them
    listener.requests.clear()

    settings = LetterSettings.current()
    settings.logo.save("logo.svg", ContentFile(svg))
    assert LetterAssetFetcher(settings).fetch(LOGO_URL).content_type == "image/svg+xml"
    letter = new_draft(officer)
    preview = services.preview_pdf(user=officer, letter_id=letter.pk)
    assert preview.startswith(b"%PDF") and images(preview, tmp_path) == 0
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        data = handle.read()
    assert images(data, tmp_path) == 0 and embedded_files(data, tmp_path) == 0
    assert listener.requests == []
    assert Letter.objects.get(pk=letter.pk).status == "issued"
