"""The scopes an API client may hold (API.md), each opening a fixed set of routes."""

SCOPES = (
    "patients:read",
    "patients:write",
    "clinical:read",
    "clinical:write",
    "programs:read",
    "programs:write",
    "changes:read",
    "fhir:read",
    "webhooks:manage",
)
