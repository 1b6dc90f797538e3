"""Name search: every word is an exact prefix of a given or family name, found by index ranges."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import psycopg.sql
import pytest
from sqlalchemy import event, insert, text, update

from clinic.core.models import utcnow
from clinic.core.search import successor
from clinic.core.tenancy import all_clinics
from clinic.extensions import db
from clinic.patients.models import Patient

HIGHEST = chr(0x10FFFF)


def search(client, world, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/patients", query_string={"q": q, **params}, headers=world.clinician.headers
    )
    assert response.status_code == 200, response.json
    return response.json["items"]


def names(items: list[dict[str, Any]]) -> list[str]:
    return [f"{p['given_name'].strip()} {p['family_name'].strip()}" for p in items]


def every_page(client, world, q: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = client.get(
            "/api/v1/patients", query_string={"q": q, **params}, headers=world.clinician.headers
        )
        assert response.status_code == 200, response.json
        items += response.json["items"]
        if response.json["next_cursor"] is None:
            return items
        params["cursor"] = response.json["next_cursor"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("ab", "ac"),
        ("a", "b"),
        ("z" + HIGHEST, "{"),
        ("ab" + HIGHEST + HIGHEST, "ac"),
        (HIGHEST, None),
        ("", None),
        ("\ud7ff", "\ue000"),  # the surrogates are not characters
        ("łu", "łv"),
    ],
)
def test_successor_is_the_least_string_after_every_extension(prefix, expected):
    assert successor(prefix) == expected
    if expected is not None:
        assert not expected.startswith(prefix)
        for extension in ("", "a", "zzz", HIGHEST * 3):
            assert prefix + extension < expected


def test_prefix_of_a_family_name_or_a_given_name_finds_the_patient(client, world, factory):
    factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    factory.patient(world.clinic_id, given_name="Bob", family_name="Smithers")
    factory.patient(world.clinic_id, given_name="Smilla", family_name="Berg")
    factory.patient(world.clinic_id, given_name="Sam", family_name="Ismith")  # inside, not a prefix
    factory.patient(world.other_clinic_id, given_name="Ann", family_name="Smith")

    assert names(search(client, world, "smi")) == ["Smilla Berg", "Ann Smith", "Bob Smithers"]
    assert names(search(client, world, "BO")) == ["Bob Smithers"]
    assert search(client, world, "mith") == []


def test_every_word_must_start_a_name(client, world, factory):
    factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    factory.patient(world.clinic_id, given_name="Anna", family_name="Smithers")
    factory.patient(world.clinic_id, given_name="Bob", family_name="Smith")
    factory.patient(world.clinic_id, given_name="Smith", family_name="Annley")

    assert names(search(client, world, "ann smith")) == [
        "Smith Annley",
        "Ann Smith",
        "Anna Smithers",
    ]
    assert names(search(client, world, "  smithers   an ")) == ["Anna Smithers"]
    assert search(client, world, "ann bob") == []
    assert len(search(client, world, "   ")) == 5  # no word: the whole list, the world's one too


def test_a_search_combines_with_updated_since_in_change_order(client, world, factory):
    older = factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    factory.patient(world.clinic_id, given_name="Smilla", family_name="Berg")
    factory.patient(world.clinic_id, given_name="Bob", family_name="Jones")
    since = client.get(f"/api/v1/patients/{older}", headers=world.clinician.headers).json
    factory.patient(world.clinic_id, given_name="Sam", family_name="Ek")

    changed = search(client, world, "s", updated_since=since["updated_at"])

    assert names(changed) == ["Ann Smith", "Smilla Berg", "Sam Ek"]


def test_a_whole_name_is_a_prefix_of_itself(client, world, factory):
    factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    factory.patient(world.clinic_id, given_name="Anna", family_name="Smithers")
    factory.patient(world.clinic_id, given_name="An", family_name="Lee")

    assert names(search(client, world, "smith")) == ["Ann Smith", "Anna Smithers"]
    assert names(search(client, world, "smithers")) == ["Anna Smithers"]
    assert names(search(client, world, "ann")) == ["Ann Smith", "Anna Smithers"]
    assert names(search(client, world, "anna smithers")) == ["Anna Smithers"]
    assert search(client, world, "smithersx") == []


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["Per %Cent"]),
        ("100%", ["Cent 100%Fit"]),
        ("100", ["Cent 100%Fit", "Hundred 100xFit"]),
        ("o_", ["Ola O_Neil"]),
        ("o_n", ["Ola O_Neil"]),
        ("smith/", ["Kim Smith/Jones"]),
        ("/", ["Ray /Slash"]),
        ("_", []),
    ],
)
def test_like_wildcards_in_a_name_match_only_themselves(client, world, factory, q, expected):
    for given, family in [
        ("Cent", "100%Fit"),
        ("Hundred", "100xFit"),
        ("Per", "%Cent"),
        ("Ola", "O_Neil"),
        ("Otto", "OxNeil"),
        ("Olle", "Oneil"),
        ("Kim", "Smith/Jones"),
        ("Lou", "Smithers"),
        ("Ray", "/Slash"),
    ]:
        factory.patient(world.clinic_id, given_name=given, family_name=family)

    assert names(search(client, world, q)) == expected


def test_non_ascii_names_match_by_their_lower_cased_prefix(client, world):
    for given, family in [
        ("Łukasz", "Nowak"),
        ("Lukas", "Novak"),
        ("Åsa", "Ek"),
        ("Asa", "Ek"),
        ("Jörg", "Müller"),
        ("Jorg", "Muller"),
        ("Eda", "Mueller"),
    ]:
        response = client.post(
            "/api/v1/patients",
            json={
                "given_name": f" {given} ",  # the keys are stripped, too
                "family_name": family,
                "birth_date": "1990-01-01",
                "sex": "other",
            },
            headers=world.clinician.headers,
        )
        assert response.status_code == 201, response.json

    assert names(search(client, world, "łuk")) == ["Łukasz Nowak"]
    assert names(search(client, world, "ŁUKASZ")) == ["Łukasz Nowak"]
    assert names(search(client, world, "luk")) == ["Lukas Novak"]
    assert names(search(client, world, "åsa")) == ["Åsa Ek"]
    assert names(search(client, world, "Å")) == ["Åsa Ek"]
    assert names(search(client, world, "mü")) == ["Jörg Müller"]
    assert names(search(client, world, "MÜLLER jö")) == ["Jörg Müller"]
    assert sorted(names(search(client, world, "mu"))) == ["Eda Mueller", "Jorg Muller"]


def test_pages_of_a_search_return_every_match_once_in_list_order(client, world, factory):
    people = [
        ("Åsa", "Ek"),  # Å is not A
        ("Ada", "Åberg"),
        ("Ada", "Åberg"),  # the same name twice: the id orders them
        ("Aaron", "Zeller"),
        ("Zoë", "Aalto"),
        ("Ärla", "Abbott"),
        ("Abel", "Öberg"),
        ("Ab", "Ab"),
        ("Abe", "Ab"),
        ("Adam", "ab"),
        ("Ai", "Łaba"),
        ("Aiko", "Ashford"),
        ("Amir", "Ašić"),
        ("Åke", "Berg"),
        ("Bea", "Ådal"),
        ("Lena", "Ahl"),
    ]
    for given, family in people:
        factory.patient(world.clinic_id, given_name=given, family_name=family)
    factory.patient(world.other_clinic_id, given_name="Ada", family_name="Aalto")
    matching = sorted(
        f"{given} {family}"
        for given, family in people
        if given.lower().startswith("a") or family.lower().startswith("a")
    )

    one_page = search(client, world, "a", limit=200)
    paged = every_page(client, world, "a", limit=3)

    assert sorted(names(one_page)) == matching
    assert [p["id"] for p in paged] == [p["id"] for p in one_page]


def test_archived_patients_take_no_place_in_a_page_of_either_part(app, client, world, factory):
    # Archived ones sort first in both parts: a filter after the page was cut would empty it.
    for given, family in [("Ann", "Aa"), ("Ann", "Ab"), ("Bo", "Ann"), ("Bo", "Anna")]:
        factory.patient(world.clinic_id, given_name=given, family_name=family)
    with app.app_context(), all_clinics(db.session):
        db.session.execute(update(Patient).values(archived_at=utcnow()))
        db.session.commit()
    for given, family in [("Ann", "Zed"), ("Cy", "Annex")]:
        factory.patient(world.clinic_id, given_name=given, family_name=family)

    first = client.get(
        "/api/v1/patients",
        query_string={"q": "ann", "limit": 1},
        headers=world.clinician.headers,
    ).json
    everything = every_page(client, world, "ann", limit=1)

    assert names(first["items"]) == ["Cy Annex"]
    assert first["next_cursor"] is not None
    assert names(everything) == ["Cy Annex", "Ann Zed"]


def test_a_word_ending_in_the_highest_code_point_is_a_prefix_like_any_other(client, world, factory):
    factory.patient(world.clinic_id, given_name="Zed", family_name=f"Ab{HIGHEST}x")
    factory.patient(world.clinic_id, given_name="Zed", family_name=f"Ab{HIGHEST}")
    factory.patient(world.clinic_id, given_name="Zed", family_name="Ac")
    factory.patient(world.clinic_id, given_name="Zed", family_name=f"{HIGHEST}{HIGHEST}")

    assert sorted(p["family_name"] for p in search(client, world, f"ab{HIGHEST}")) == [
        f"Ab{HIGHEST}",
        f"Ab{HIGHEST}x",
    ]
    assert [p["family_name"] for p in search(client, world, HIGHEST)] == [HIGHEST * 2]
    assert [p["family_name"] for p in search(client, world, HIGHEST * 3)] == []
    assert search(client, world, f"\ud7ff{HIGHEST}") == []


def test_a_search_costs_as_many_statements_as_a_listing(client, world, factory, count_statements):
    for n in range(30):
        factory.patient(world.clinic_id, given_name="Ann", family_name=f"Smith{n:02d}")
    client.get("/api/v1/patients", headers=world.clinician.headers)  # token touched
    with count_statements() as listing:
        client.get("/api/v1/patients?limit=10", headers=world.clinician.headers)
    with count_statements() as searching:
        found = client.get("/api/v1/patients?q=ann%20smi&limit=10", headers=world.clinician.headers)
    assert len(found.json["items"]) == 10
    assert searching.count == listing.count


# --- the plan: the prefixes are index ranges -----------------------------------------


@contextmanager
def statements_sent(app) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def search_statement(app, client, world, q: str) -> tuple[str, Any]:
    with statements_sent(app) as sent:
        search(client, world, q)
    (found,) = [(s, p) for s, p in sent if "FROM patients" in s and " AS found" in s]
    return found


def add_patients(app, clinic_id: uuid.UUID, how_many: int) -> None:
    """Enough rows for PostgreSQL's planner to have a choice, in one statement."""
    rows = [
        {
            "id": uuid.uuid4(),
            "clinic_id": clinic_id,
            "given_name": f"Given{n}",
            "family_name": f"Family{n:05d}",
            "given_name_key": f"given{n}",
            "family_name_key": f"family{n:05d}",
            "birth_date": date(1980, 1, 1),
            "sex": "female",
            "version": 1,
        }
        for n in range(how_many)
    ]
    with app.app_context(), all_clinics(db.session):
        db.session.execute(insert(Patient), rows)
        db.session.commit()


def test_sqlite_searches_both_names_by_index_range(app, client, world, factory):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's query plan")
    factory.patient(world.clinic_id, given_name="Ann", family_name="Smith")
    statement, parameters = search_statement(app, client, world, "smi")

    with app.app_context(), db.engine.connect() as connection:
        plan = "\n".join(
            row[3]
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )

    lines = plan.splitlines()
    by_family = lines.index(
        "SEARCH patients USING INDEX ix_patients_clinic_name "
        "(clinic_id=? AND family_name_key>? AND family_name_key<?)"
    )
    # The family-name part is read in list order: it stops after a page, unsorted.
    assert lines[by_family + 1] != "USE TEMP B-TREE FOR ORDER BY", plan
    # The given-name part is sorted from the index alone: no row is read for it.
    by_given = lines.index(
        "SEARCH patients USING COVERING INDEX ix_patients_clinic_given "
        "(clinic_id=? AND given_name_key>? AND given_name_key<?)"
    )
    assert lines[by_given + 1] == "USE TEMP B-TREE FOR ORDER BY", plan
    # Only the page's candidates are read whole, by primary key.
    assert "MATERIALIZE found" in lines, plan
    assert "SEARCH patients USING INDEX sqlite_autoindex_patients_1 (id=?)" in lines, plan
    assert re.search(r"SCAN patients\b", plan) is None, plan


def _pg_plan(connection: Any, statement: str, parameters: dict[str, Any], generic: bool) -> str:
    """EXPLAIN of what the app sent: a custom plan, or PostgreSQL's generic plan for it.

    psycopg prepares a statement after its fifth run, and PostgreSQL may then
    plan it once for any parameters.
    """
    if not generic:
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in rows)
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", placeholder, statement)
    raw = connection.connection.driver_connection
    values = psycopg.sql.SQL(", ").join(psycopg.sql.Literal(parameters[n]) for n in names)
    connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
    connection.exec_driver_sql("PREPARE patient_search AS " + prepared)
    try:
        rows = connection.exec_driver_sql(
            f"EXPLAIN EXECUTE patient_search({values.as_string(raw)})"
        )
        return "\n".join(row[0] for row in rows)
    finally:
        connection.exec_driver_sql("DEALLOCATE patient_search")


@pytest.mark.parametrize("generic", [False, True], ids=["custom plan", "generic plan"])
def test_postgresql_searches_both_names_by_index_range(app, client, world, generic):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's query plan")
    add_patients(app, world.clinic_id, 2000)
    add_patients(app, world.other_clinic_id, 2000)
    statement, parameters = search_statement(app, client, world, "family0012")

    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE patients")
        # 4,000 rows are still few pages: keep a scan of all of them out of the way.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        # And make sorting dear, as a common prefix makes it: a page in list order
        # must still not come from walking the clinic along ix_patients_clinic_name.
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        plan = _pg_plan(connection, statement, parameters, generic)
        connection.rollback()

    assert "Seq Scan" not in plan, plan
    for index, column in [
        ("ix_patients_clinic_family_prefix", "family_name_key"),
        ("ix_patients_clinic_given_prefix", "given_name_key"),
    ]:
        assert re.search(rf"(Bitmap Index Scan on|Index Scan using) {index} ", plan), plan
        assert re.search(rf"Index Cond: .*\({column}\)::text >= ", plan), plan
        assert re.search(rf"Index Cond: .*\({column}\)::text < ", plan), plan
    assert "ix_patients_clinic_name" not in plan, plan


def test_postgresql_byte_order_indexes_exist_only_there(app):
    with app.app_context(), db.engine.connect() as connection:
        dialect = connection.dialect.name
        if dialect == "postgresql":
            definitions = dict(
                connection.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes "
                        "WHERE tablename = 'patients' AND indexname LIKE '%\\_prefix'"
                    )
                ).all()
            )
        else:
            definitions = dict(
                connection.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master "
                        "WHERE tbl_name = 'patients' AND name LIKE '%\\_prefix' ESCAPE '\\'"
                    )
                ).all()
            )
    if dialect != "postgresql":
        assert definitions == {}
        return
    assert definitions.keys() == {
        "ix_patients_clinic_family_prefix",
        "ix_patients_clinic_given_prefix",
    }
    assert definitions["ix_patients_clinic_family_prefix"].endswith(
        '(clinic_id, family_name_key COLLATE "C")'
    )
    assert definitions["ix_patients_clinic_given_prefix"].endswith(
        '(clinic_id, given_name_key COLLATE "C")'
    )
