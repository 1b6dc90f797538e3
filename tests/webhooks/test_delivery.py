"""Webhooks end to end: a real receiver on 127.0.0.1, signatures verified independently."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.webhooks import worker
from clinic.webhooks.models import WebhookDelivery

PATIENT = {"given_name": "Wes", "family_name": "Hook", "birth_date": "1979-08-09", "sex": "male"}


class Receiver:
    """An HTTP server that records what it receives and answers a chosen status."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def subscribe(client, admin, url, events=("patient.created", "patient.updated")):
    response = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "events": list(events)},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def deliver(app) -> int:
    with app.app_context():
        return worker.deliver_due()


def test_a_change_is_delivered_signed_and_thin(app, client, world, receiver):
    endpoint = subscribe(client, world.admin, receiver.url)
    assert endpoint["secret"].startswith("whsec_")
    created = client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers).json
    assert receiver.received == []  # nothing leaves inside the request
    assert deliver(app) == 1
    ((headers, body),) = receiver.received
    payload = Webhook(endpoint["secret"]).verify(body, headers)  # raises on a bad signature
    assert payload == {
        "type": "patient.created",
        "resource_type": "patient",
        "resource_id": created["id"],
        "version": 1,
        "occurred_at": payload["occurred_at"],
    }
    assert headers["webhook-id"].startswith("msg_")
    assert "Wes" not in body.decode()
    log = client.get(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=world.admin.headers
    ).json["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"], d["event_type"]) for d in log] == [
        ("succeeded", 1, 200, "patient.created")
    ]


def test_a_tampered_body_fails_independent_verification(app, client, world, receiver):
    endpoint = subscribe(client, world.admin, receiver.url)
    client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers)
    deliver(app)
    ((headers, body),) = receiver.received
    with pytest.raises(Exception):  # noqa: B017 - the library's own verification error
        Webhook(endpoint["secret"]).verify(body.replace(b"patient", b"patienT"), headers)


def test_only_subscribed_events_of_the_own_clinic_are_sent(app, client, world, receiver):
    subscribe(client, world.admin, receiver.url, events=("patient.updated",))
    client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers)
    client.post("/api/v1/patients", json=PATIENT, headers=world.other_admin.headers)
    assert deliver(app) == 0
    client.patch(
        f"/api/v1/patients/{world.patient_id}",
        json={"given_name": "Up"},
        headers={**world.clinician.headers, "If-Match": '"1"'},
    )
    assert deliver(app) == 1
    assert json.loads(receiver.received[0][1])["type"] == "patient.updated"


def test_failures_retry_on_the_backoff_schedule_then_succeed(app, client, world, receiver):
    endpoint = subscribe(client, world.admin, receiver.url)
    receiver.status = 500
    client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers)
    assert deliver(app) == 1
    assert deliver(app) == 0  # the retry is not due yet
    log_url = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    (entry,) = client.get(log_url, headers=world.admin.headers).json["items"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"]) == ("pending", 1, 500)
    wait = datetime.fromisoformat(entry["next_attempt_at"]) - datetime.fromisoformat(
        entry["last_attempt_at"]
    )
    assert wait.total_seconds() == pytest.approx(5, abs=0.5)
    with app.app_context(), all_clinics(db.session):
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        delivery.next_attempt_at = delivery.last_attempt_at
        db.session.commit()
    receiver.status = 204
    assert deliver(app) == 1
    (entry,) = client.get(log_url, headers=world.admin.headers).json["items"]
    assert (entry["status"], entry["attempts"]) == ("succeeded", 2)
    assert len(receiver.received) == 2
    assert receiver.received[0][0]["webhook-id"] == receiver.received[1][0]["webhook-id"]


def test_backoff_schedule_and_giving_up(app, world):
    assert [int(d.total_seconds()) for d in worker.BACKOFF] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    ]


def test_410_disables_the_endpoint(app, client, world, receiver):
    endpoint = subscribe(client, world.admin, receiver.url)
    receiver.status = 410
    client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers)
    deliver(app)
    read = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=world.admin.headers)
    assert read.json["active"] is False and "410" in read.json["disabled_reason"]
    client.post("/api/v1/patients", json=PATIENT, headers=world.clinician.headers)
    assert deliver(app) == 0  # a disabled endpoint gets no new deliveries
    receiver.status = 200
    enabled = client.patch(
        f"/api/v1/webhook-endpoints/{endpoint['id']}",
        json={"active": True},
        headers=world.admin.headers,
    )
    assert enabled.json["active"] is True and enabled.json["disabled_reason"] is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "ftp://example.org/hook",
        "http://user:pw@example.org/hook",
    ],
)
def test_private_and_odd_targets_are_refused(app, client, world, url, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
    response = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": url, "events": ["patient.created"]},
        headers=world.admin.headers,
    )
    assert response.status_code == 422
    assert "url" in response.json["errors"]
    listed = client.get("/api/v1/webhook-endpoints", headers=world.admin.headers).json["items"]
    assert listed == []


def test_invalid_endpoints_are_refused(client, world):
    for body, field in (
        ({"url": "http://127.0.0.1/x", "events": ["patient.exploded"]}, "events.0"),
        ({"url": "http://127.0.0.1/x", "events": []}, "events"),
        ({"events": ["patient.created"]}, "url"),
        ({"url": "http://127.0.0.1/x", "events": ["patient.created"], "secret": "mine"}, "secret"),
    ):
        response = client.post("/api/v1/webhook-endpoints", json=body, headers=world.admin.headers)
        assert response.status_code == 422
        assert field in response.json["errors"], response.json


def test_secret_is_shown_once_and_endpoints_are_per_clinic(client, world, receiver):
    endpoint = subscribe(client, world.admin, receiver.url)
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    assert "secret" not in client.get(url, headers=world.admin.headers).json
    assert client.get(url, headers=world.other_admin.headers).status_code == 404
    assert client.get(url, headers=world.clinician.headers).status_code == 403
    assert client.delete(url, headers=world.admin.headers).status_code == 204
    assert client.get(url, headers=world.admin.headers).status_code == 404


def test_two_workers_never_send_the_same_attempt_twice(app, client, world, receiver):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks: PostgreSQL")
    subscribe(client, world.admin, receiver.url)
    for n in range(12):
        client.post(
            "/api/v1/patients",
            json={**PATIENT, "given_name": f"P{n}"},
            headers=world.clinician.headers,
        )
    counts: list[int] = []

    def work() -> None:
        counts.append(deliver(app))

    workers = [threading.Thread(target=work) for _ in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert sum(counts) == 12
    assert len(ids) == 12 and len(set(ids)) == 12
