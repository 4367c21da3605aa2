"""Property-based fuzzing of the web pages (HTML, so not in the OpenAPI schema): any role and page segment,
any selection form, as each user. Never a 5xx, only the answers a page gives, and a refusal is a plain-text
message, never HTML that would echo what was sent."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apis.web.views import PAGES

USERS = (None, "admin", "e001", "nonresident")
# A path segment: any text but the separators a URL gives a meaning to, and the tab and line breaks that URL
# parsing drops (a segment of only those would name another page).
SEGMENT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="/?#%\t\n\r"), min_size=1, max_size=40
)
ROLE = st.one_of(st.sampled_from(sorted(PAGES)), SEGMENT)
NAME = st.one_of(st.sampled_from(sorted({name for pages in PAGES.values() for name in pages})), SEGMENT)
FIELD = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),  # a form can only send UTF-8
    st.sampled_from(['["oss_community", "oss_cluster", ""]', "visual", "deal"]),
)
FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)


def client_of(username: str | None, django_user_model) -> Client:
    client = Client()
    if username:
        client.force_login(django_user_model.objects.get(username=username))
    return client


def check(response, allowed: set[int]) -> None:
    assert response.status_code in allowed, response.status_code
    if response.status_code >= 400:
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.strip()


@pytest.mark.parametrize("username", USERS)
@FUZZ
@given(role=ROLE, name=NAME)
def test_any_page_path_is_a_page_a_redirect_or_a_plain_refusal(
    world, db, django_user_model, username, role, name
):
    response = client_of(username, django_user_model).get(f"/{role}/{name}")
    check(response, {200, 302, 403, 404})


@pytest.mark.parametrize("username", USERS)
@FUZZ
@given(role=ROLE, selection=FIELD, page=FIELD)
def test_any_selection_form_is_stored_or_refused_in_plain_text(
    world, db, django_user_model, username, role, selection, page
):
    client = client_of(username, django_user_model)
    response = client.post(f"/{role}/select", {"selection": selection, "page": page})
    check(response, {302, 400, 403})
