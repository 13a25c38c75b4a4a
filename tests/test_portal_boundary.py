"""The portal's boundary, URL x role x object: every URL pattern of the project is requested

- as a named contact of provider A: every address outside /portal/ is 404; every portal address filled with
  provider B's objects is 404; A's own portal pages answer (the positive control) and no body anywhere holds
  B's text, a restricted concern's text or the text of the concern behind A's shared item;
- as every staff role, a person with no role, a superuser and anonymous: every portal address is 404 or the
  portal's sign-in (only the sign-in page itself answers), and no body holds any portal text.

The URL walk is the one of test_clearance_everywhere (`_patterns`, filled from pools of ids).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, resolve

from accounts import roles
from portal import services
from portal.models import ProviderReply, ReplyFile, SharedDocument
from providers.models import ProviderContact
from tests.factories import ConcernFactory, ProviderFactory, UserFactory
from tests.test_clearance_everywhere import _fill, _param_names, _patterns, body_text

pytestmark = pytest.mark.django_db

B_TEXT = ["B-SENTINEL-TITLE", "B-SENTINEL-SUMMARY", "B-SENTINEL-REPLY", "B-SENTINEL-FILE", "B-SENTINEL-DOC",
          "B-SENTINEL-PROVIDER"]
NEVER_TO_PROVIDERS = ["R-SENTINEL-RESTRICTED", "A-SENTINEL-CONCERN-TEXT", "A-SENTINEL-REPORTER"]
A_TEXT = ["A-VISIBLE-TITLE", "A-VISIBLE-SUMMARY", "A-VISIBLE-REPLY"]


def pdf(name):
    body = (b"%PDF-1.4\n%" + name.encode() + b"\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def contact_of(provider, username):
    user = UserFactory(username=username)
    ProviderContact.objects.create(provider=provider, user=user, name=user.get_full_name(), email=user.email)
    return user


def build():
    cqm = UserFactory(username="boundary_cqm", roles=[roles.CQM])
    a, b = ProviderFactory(name="Provider A Home"), ProviderFactory(name="B-SENTINEL-PROVIDER")
    contact_a, contact_b = contact_of(a, "contact_a"), contact_of(b, "contact_b")
    concern_a = ConcernFactory(provider=a, description="A-SENTINEL-CONCERN-TEXT", raised_by="A-SENTINEL-REPORTER",
                               logged_by=cqm)
    ConcernFactory(provider=a, safeguarding=True, description="R-SENTINEL-RESTRICTED", logged_by=cqm)
    concern_b = ConcernFactory(provider=b, logged_by=cqm)
    share_a = services.share_with_provider(user=cqm, concern_id=concern_a.pk, kind="accuracy",
                                           title="A-VISIBLE-TITLE", summary="A-VISIBLE-SUMMARY",
                                           files=[pdf("a-draft.pdf")])
    share_b = services.share_with_provider(user=cqm, concern_id=concern_b.pk, kind="accuracy",
                                           title="B-SENTINEL-TITLE", summary="B-SENTINEL-SUMMARY",
                                           files=[pdf("B-SENTINEL-DOC.pdf")])
    services.send_reply(user=contact_a, share_id=share_a.pk, text="A-VISIBLE-REPLY", files=[pdf("a-file.pdf")])
    services.send_reply(user=contact_b, share_id=share_b.pk, text="B-SENTINEL-REPLY",
                        files=[pdf("B-SENTINEL-FILE.pdf")])
    ids = {}
    for side, share in (("a", share_a), ("b", share_b)):
        reply = ProviderReply.objects.get(share=share)
        ids[side] = {"pk": share.pk, "document_id": SharedDocument.objects.get(share=share).pk,
                     "file_id": ReplyFile.objects.get(reply=reply).pk, "reply": reply.pk,
                     "provider_id": share.provider_id, "concern_id": share.concern_id}
    return {"cqm": cqm, "contact_a": contact_a, "ids": ids}


def every_url(ids):
    """(url, is_portal, owners): owners is the set of sides ("a", "b") whose objects fill the address."""
    urls = []
    for parts, _pattern in _patterns(get_resolver().url_patterns):
        names = [n for part in parts for n in _param_names(part)]
        route = "".join(str(part) for part in parts)
        is_portal = route.startswith("portal/")
        combos = [({}, frozenset())]
        for name in names:
            choices = [(side, ids[side].get(name, ids[side]["pk"])) for side in ("a", "b")]
            if name in ("uidb64", "token"):
                choices = [(None, "MQ" if name == "uidb64" else "not-a-token")]
            combos = [({**values, name: value}, owners | ({side} if side else set()))
                      for values, owners in combos for side, value in choices]
        for values, owners in combos:
            urls.append(("/" + "".join(_fill(part, values) for part in parts), is_portal, owners))
    return sorted(set(urls))


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def found(response, phrases):
    text = body_text(response)
    return [p for p in phrases if p in text]


def test_provider_contact_reaches_only_their_own_portal_pages():
    world = build()
    ids = world["ids"]
    client = client_for(world["contact_a"])
    problems, answered = [], []
    for url, is_portal, owners in every_url(ids):
        response = client.get(url)
        leaked = found(response, B_TEXT + NEVER_TO_PROVIDERS)
        if leaked:
            problems.append((url, response.status_code, leaked))
        if not is_portal:
            if response.status_code != 404:
                problems.append((url, response.status_code, "a non-portal address answered a provider contact"))
            continue
        own_namespace = resolve(url.split("?")[0]).namespace == "portal" if response.status_code != 404 or \
            "b" in owners else None
        if "b" in owners and response.status_code != 404:
            problems.append((url, response.status_code, "provider B's object answered provider A's contact"))
        if owners == {"a"} and own_namespace:
            answered.append((url, response.status_code))
            if response.status_code >= 400:
                problems.append((url, response.status_code, "A's own page did not answer"))
    assert not problems, problems
    # The positive control: A's item, its draft and its reply file answer, and show A's text.
    a = ids["a"]
    page = client.get(f"/portal/shared/{a['pk']}/")
    assert page.status_code == 200 and set(A_TEXT) <= set(found(page, A_TEXT))
    assert client.get(f"/portal/shared/{a['pk']}/documents/{a['document_id']}/").status_code == 200
    assert client.get(f"/portal/shared/{a['pk']}/files/{a['file_id']}/").status_code == 200
    assert len(answered) >= 3, answered
    # The same objects of B, asked for with A's item, are 404 too (a guessed file id under A's own item).
    assert client.get(f"/portal/shared/{a['pk']}/files/{ids['b']['file_id']}/").status_code == 404
    assert client.post(f"/portal/shared/{ids['b']['pk']}/", {"text": "guess"}).status_code == 404
    assert ProviderReply.objects.filter(text="guess").count() == 0


STAFF = [[role] for role in roles.ALL_ROLES] + [[]]


@pytest.mark.parametrize("who", ["anonymous", "superuser", *[r[0] if r else "no role" for r in STAFF]])
def test_staff_and_anonymous_reach_no_portal_page(who):
    world = build()
    if who == "anonymous":
        user = None
    elif who == "superuser":
        user = UserFactory(username="root", is_staff=True, is_superuser=True, roles=[roles.ADMINISTRATOR])
    else:
        user = UserFactory(username="staff_" + who.replace(" ", "_"),
                           roles=[] if who == "no role" else [who])
    client = client_for(user)
    problems = []
    for url, is_portal, _ in every_url(world["ids"]):
        if not is_portal:
            continue
        response = client.get(url)
        leaked = found(response, B_TEXT + A_TEXT + NEVER_TO_PROVIDERS)
        location = response.get("Location", "")
        if url == "/portal/sign-in/":
            ok = response.status_code == 200
        else:
            ok = response.status_code == 404 or (response.status_code == 302
                                                 and location.startswith("/portal/sign-in/"))
        if leaked or not ok:
            problems.append((url, response.status_code, location, leaked))
    assert not problems, problems
