"""The committed ``openapi.yaml`` is the spec the code generates, and it is served.

Clients are built against ``openapi.yaml``; it is generated from the routes
and schemas (``make openapi``) and committed. These tests fail when the two
drift apart, when the document is not valid OpenAPI 3, and when the served
copies (``/openapi.json``, the ``/docs`` page and its assets) disagree or
need the network.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from clinic.extensions import api

SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"
REGENERATE = "openapi.yaml is out of date with the code: run `make openapi` and commit the result."
# href="..." and src="..." in the docs page.
ASSET_REFERENCE = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")


def _committed_spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_FILE.read_text(encoding="utf-8"))


def _plain(data: Any) -> Any:
    """JSON types only (no tuples or ordered dicts), as a YAML or JSON reader sees them."""
    return json.loads(json.dumps(data))


def _generated_spec(app) -> dict[str, Any]:
    with app.app_context():
        return _plain(api.spec.to_dict())


def _as_yaml_lines(data: Any) -> list[str]:
    return yaml.safe_dump(data, sort_keys=True).splitlines()


def test_committed_openapi_yaml_equals_the_spec_generated_from_the_code(app):
    generated = _generated_spec(app)
    committed = _committed_spec()

    if generated != committed:
        diff = "\n".join(
            difflib.unified_diff(
                _as_yaml_lines(committed),
                _as_yaml_lines(generated),
                fromfile="openapi.yaml (committed)",
                tofile="generated from the code",
                lineterm="",
                n=2,
            )
        )
        pytest.fail(f"{REGENERATE}\n\n{diff}")


def test_committed_openapi_yaml_is_valid_openapi_3():
    spec = _committed_spec()

    assert str(spec.get("openapi", "")).startswith("3."), (
        "openapi.yaml must be an OpenAPI 3 document"
    )
    try:
        validate(spec)
    except OpenAPIValidationError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"openapi.yaml is not valid OpenAPI: {error}")


def test_every_api_operation_is_documented_with_a_summary_and_security(app):
    """Route docstrings become summaries; ``@access``/``@public`` become ``security``."""
    spec = _generated_spec(app)
    undocumented = [
        f"{method.upper()} {path}: {missing}"
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method != "parameters"
        for missing in ("summary", "security")
        if missing not in operation
    ]

    assert undocumented == []


def test_served_openapi_json_equals_the_committed_file(client):
    response = client.get("/openapi.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == _committed_spec(), REGENERATE


def test_docs_page_is_html_that_loads_its_assets_locally(client):
    response = client.get("/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "/docs/assets/" in page
    assert "/openapi.json" in page
    # Works offline: no CDN, no absolute URL to anywhere.
    assert re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page) is None, (
        "the docs page must not load anything from the network"
    )


def test_every_asset_the_docs_page_references_is_served(client):
    page = client.get("/docs").get_data(as_text=True)
    references = ASSET_REFERENCE.findall(page)

    assert references, "the docs page references no stylesheet or script"
    for reference in references:
        assert reference.startswith("/docs/assets/"), f"{reference} is not a local docs asset"
        asset = client.get(reference)
        assert asset.status_code == 200, f"{reference} answered {asset.status_code}"
        assert asset.get_data(), f"{reference} is empty"
        expected_type = "text/css" if reference.endswith(".css") else "javascript"
        assert expected_type in asset.mimetype, f"{reference} served as {asset.mimetype}"


def test_unknown_docs_asset_is_a_404_problem(client):
    response = client.get("/docs/assets/no-such-file.js")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404
