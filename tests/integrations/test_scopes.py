"""Least privilege: each API scope opens exactly the routes that declare it, no more."""

from __future__ import annotations

import re
import uuid

import pytest

from clinic.core.access import ACCESS_ATTRIBUTE
from clinic.integrations.scopes import SCOPES


def declared_routes(app):
    """(method, url with fresh ids, declared scopes) for every protected route."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower(), None) if view_class else view
            access = getattr(func, ACCESS_ATTRIBUTE, None)
            if not isinstance(access, tuple):
                continue  # public routes (and non-API assets)
            url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda _: str(uuid.uuid4()), rule.rule)
            yield method, url, access[1]


@pytest.mark.parametrize("scope", SCOPES)
def test_a_scope_opens_exactly_its_routes(app, client, world, scope):
    key = client.post(
        "/api/v1/api-clients", json={"name": scope, "scopes": [scope]}, headers=world.admin.headers
    ).json["key"]
    headers = {"Authorization": f"Bearer {key}", "If-Match": "*"}
    opened = 0
    for method, url, scopes in declared_routes(app):
        response = client.open(
            url, method=method, headers=headers, json={} if method != "GET" else None
        )
        if scopes == frozenset({scope}):
            opened += 1
            assert response.status_code != 403, (scope, method, url)
            assert response.status_code != 401, (scope, method, url)
        else:
            assert response.status_code == 403, (scope, method, url, response.status_code)
    assert opened > 0, f"no route declares {scope}"
