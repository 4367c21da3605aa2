"""The web pages: HTML shells whose JavaScript calls the JSON API. Staff and resident pages per role, and
the ESS dataset page (:func:`datasets`) for every logged-in user. The original's static page URLs redirect
to the pages that replace them (:func:`original_page`).

Every page knows the user's selection (community/cluster, and for residents the unit), remembered per
user and role in :class:`Selection`; the selection form posts to :func:`select`. Pages carry a strict
Content-Security-Policy: scripts, styles and connections only from this server. Every URL a page uses comes
from the server (``{% url %}``, ``{% static %}`` and the ``urls`` of the page's context), so that the pages
work under ``APIS_URL_PREFIX``.
"""

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apis.community.outline import resident_outline, staff_outline
from apis.community.residency import is_resident
from apis.core.http import bad_request, forbidden, only_methods
from apis.web.models import Selection

PAGES = {
    "staff": {
        "visual": "VISUAL",
        "availability": "AVAILABILITY",
        "deal": "DEAL",
        "monitoring": "MONITORING",
        "history": "UNIT HISTORY",
    },
    "resident": {"visual": "VISUAL", "deal": "DEAL", "scenario": "SCENARIO"},
}
# The pages of the original's static UI (``/static/ui_example/<role>/<page>.html``); each has its page here.
ORIGINAL_PAGES = {
    "staff": ("visual", "availability", "deal", "monitoring"),
    "resident": ("visual", "deal", "scenario"),
}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _secured(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = CSP
    return response


def page_urls() -> dict[str, str]:
    """The URLs the page scripts build on (under ``APIS_URL_PREFIX``): ``home`` and the ``api`` root."""
    home = reverse("web:home")
    return {"home": home, "api": f"{home}api/"}


def allowed_roles(user) -> list[str]:
    """The page roles of a user: ``staff`` for staff users, ``resident`` for users who live or have lived
    in a unit (a former resident's pages show the unit as it was while they lived there)."""
    roles = ["staff"] if user.is_staff else []
    if is_resident(user):
        roles.append("resident")
    return roles


def choices(user, role: str) -> list[dict]:
    """What the selection form offers: every cluster (staff) or every own unit (resident), with names."""
    outline = (staff_outline() if role == "staff" else resident_outline(user))["communities"]
    options = []
    for community in outline.values():
        for cluster in community["clusters"].values():
            where = {"communityId": community["id"], "clusterId": cluster["id"]}
            names = [community["name"], cluster["name"]]
            if role == "staff":
                units = list(cluster["units"].values())
                options.append({**where, "unitId": "", "label": " > ".join(names), "units": units})
                continue
            for unit in cluster["units"].values():
                label = " > ".join([*names, unit["name"]])
                options.append({**where, "unitId": unit["id"], "label": label, "units": [unit]})
    for option in options:
        option["value"] = json.dumps([option["communityId"], option["clusterId"], option["unitId"]])
    return options


def _chosen(user, role: str, options: list[dict]) -> dict | None:
    stored = Selection.objects.filter(user=user, role=role).first()
    if stored:
        key = [stored.community_id, stored.cluster_id, stored.unit_id]
        for option in options:
            if [option["communityId"], option["clusterId"], option["unitId"]] == key:
                return option
    return options[0] if options else None


@only_methods("GET")
def home(request: HttpRequest) -> HttpResponse:
    """The login page, or once logged in the user's first dashboard (the dataset page without a role)."""
    if request.user.is_authenticated:
        roles = allowed_roles(request.user)
        if roles:
            return redirect("web:page", role=roles[0], name="visual")
        return redirect("web:datasets")
    context = {"roles": [], "page_data": {"page": "login", "urls": page_urls()}}
    return _secured(render(request, "web/login.html", context))


@only_methods("GET")
def page(request: HttpRequest, role: str, name: str) -> HttpResponse:
    """One page of a role, for a logged-in user of that role (anonymous users go to the login page)."""
    if role not in PAGES or name not in PAGES[role]:
        raise Http404("no such page")
    if not request.user.is_authenticated:
        return redirect("web:home")
    roles = allowed_roles(request.user)
    if role not in roles:
        return forbidden(f"{role} required")
    options = choices(request.user, role)
    chosen = _chosen(request.user, role, options)
    context = {
        "role": role,
        "roles": roles,
        "name": name,
        "title": PAGES[role][name],
        "pages": PAGES[role],
        "options": options,
        "chosen": chosen,
        "page_data": {
            "role": role,
            "page": name,
            "username": request.user.username,
            "urls": page_urls(),
            "selection": chosen and {k: chosen[k] for k in ("communityId", "clusterId", "unitId", "units")},
        },
    }
    return _secured(render(request, f"web/{name}.html", context))


@only_methods("GET")
def datasets(request: HttpRequest) -> HttpResponse:
    """The ESS dataset page, for every logged-in user (staff, resident or neither, e.g. a researcher)."""
    if not request.user.is_authenticated:
        return redirect("web:home")
    roles = allowed_roles(request.user)
    role = roles[0] if roles else ""
    context = {
        "role": role,
        "roles": roles,
        "name": "datasets",
        "title": "DATASETS",
        "pages": PAGES.get(role, {}),
        "page_data": {"page": "datasets", "username": request.user.username, "urls": page_urls()},
    }
    return _secured(render(request, "web/datasets.html", context))


@only_methods("POST")
def select(request: HttpRequest, role: str) -> HttpResponse:
    """Remember the posted selection (one of the offered choices) and go back to ``page``."""
    if not request.user.is_authenticated:
        return redirect("web:home")
    if role not in allowed_roles(request.user):
        return forbidden(f"{role} required")
    name = request.POST.get("page", "visual")
    if name not in PAGES[role]:
        name = "visual"
    values = {option["value"]: option for option in choices(request.user, role)}
    option = values.get(request.POST.get("selection", ""))
    if option is None:
        return bad_request("bad selection")
    Selection.objects.update_or_create(
        user=request.user,
        role=role,
        defaults={
            k: option[v]
            for k, v in (("community_id", "communityId"), ("cluster_id", "clusterId"), ("unit_id", "unitId"))
        },
    )
    return redirect(reverse("web:page", kwargs={"role": role, "name": name}))


@only_methods("GET", "HEAD")
def original_page(request: HttpRequest, role: str, file: str) -> HttpResponse:
    """302 from a page of the original's static UI (``/static/ui_example/staff/deal.html``) to the page that
    replaces it; 404 for any other file, as the original answered (a role's page it never had included)."""
    name = file.removesuffix(".html")
    if name == file or name not in ORIGINAL_PAGES.get(role, ()):
        raise Http404("no such page")
    return redirect("web:page", role=role, name=name)
