"""Concurrent writers on PostgreSQL: row locks, code allocation, idempotency, lost connections.

Each test starts its writers together behind a barrier and asserts only outcomes (who won, what
is stored), never timings: with the locks in place every interleaving gives the same outcome.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from backend.api.writes import Write
from backend.errors import Conflict, ServiceUnavailable
from backend.http.idempotency import fingerprint
from backend.models import Event, EventType, IdempotencyRecord, Organisation, Product
from backend.runtime import Runtime
from backend.schemas import ProductPublic
from backend.services.accounts.orgs import create_organisation
from backend.services.catalog.farms import create_farm
from backend.services.catalog.products import create_product
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.lots import create_harvest_lot
from backend.services.transactions import commit
from tests.ledger.world import HARVESTED
from tests.support.app import make_settings
from tests.support.bodies import GENERATED_CODE

pytestmark = pytest.mark.postgres

T = TypeVar("T")


@pytest.fixture
def pg_runtime(tmp_path: Path, postgres_url: str) -> Iterator[Runtime]:
    runtime = Runtime.create(make_settings(tmp_path / "data", postgres_url))
    try:
        yield runtime
    finally:
        runtime.close()


def together(count: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``work(i)`` in ``count`` threads released at once; results or exceptions, in order."""
    barrier = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("not run")] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _setup(runtime: Runtime) -> None:
    with Session(runtime.engine, expire_on_commit=False) as session:
        coop, _ = create_organisation(
            session,
            slug="htx",
            name="HTX",
            role="cooperative",
            key_custody="custodial",
            settings=runtime.settings,
        )
        for slug in ("dg-1", "dg-2", "dg-3", "dg-4"):
            create_organisation(
                session,
                slug=slug,
                name=slug,
                role="packer",
                key_custody="custodial",
                settings=runtime.settings,
            )
        create_farm(session, org=coop, code="F-01", name="Vườn", commune="Mỹ Xương")
        create_product(session, org=coop, code="xoai", name_vi="Xoài")
        create_harvest_lot(
            session,
            org=coop,
            product_code="xoai",
            farm_code="F-01",
            quantity="10",
            unit="kg",
            harvested_at=HARVESTED,
            code="L-1",
            settings=runtime.settings,
        )
        session.commit()


def _org(session: Session, slug: str) -> Organisation:
    return session.exec(select(Organisation).where(Organisation.slug == slug)).one()


def test_only_one_of_several_racing_transfers_wins(pg_runtime: Runtime) -> None:
    _setup(pg_runtime)

    def transfer(index: int) -> str:
        with Session(pg_runtime.engine, expire_on_commit=False) as session:
            lot, _ = transfer_lot(
                session,
                lot_code="L-1",
                org=_org(session, "htx"),
                to_slug=f"dg-{index + 1}",
                settings=pg_runtime.settings,
            )
            commit(session)
            return str(lot.custodian_org_id)

    results = together(4, transfer)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    # The first shipment put the lot in transit: every later transfer is refused as such.
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str))
    with Session(pg_runtime.engine) as session:
        transfers = session.exec(select(Event).where(Event.type == EventType.TRANSFER)).all()
        assert len(transfers) == 1


def test_racing_harvests_get_distinct_generated_codes(pg_runtime: Runtime) -> None:
    _setup(pg_runtime)

    def harvest(_index: int) -> str:
        with Session(pg_runtime.engine, expire_on_commit=False) as session:
            lot, _event = create_harvest_lot(
                session,
                org=_org(session, "htx"),
                product_code="xoai",
                farm_code="F-01",
                quantity="1",
                unit="kg",
                harvested_at=HARVESTED,
                settings=pg_runtime.settings,
            )
            commit(session)
            return lot.code

    results = together(5, harvest)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 5
    assert all(GENERATED_CODE.fullmatch(str(code)) for code in results), results


def test_racing_requests_with_one_idempotency_key_write_once(pg_runtime: Runtime) -> None:
    _setup(pg_runtime)
    body = b'{"code": "sen", "name_vi": "H\\u1ea1t sen"}'
    request_print = fingerprint("POST", "/api/v1/products", body)

    def create(_: int) -> Any:
        with Session(pg_runtime.engine, expire_on_commit=False) as session:
            org = _org(session, "htx")
            write = Write(session=session, org=org, key="race-1", fingerprint=request_print)

            def action() -> ProductPublic:
                product = create_product(session, org=org, code="sen", name_vi="Hạt sen")
                return ProductPublic(
                    code=product.code, name_vi=product.name_vi, name_en=None, gtin=None
                )

            response = write.run(action)
            return response.status_code, bytes(response.body)

    results = together(4, create)
    assert all(isinstance(r, tuple) for r in results), results
    assert len(set(results)) == 1  # type: ignore[arg-type]
    assert results[0][0] == 201  # type: ignore[index]
    with Session(pg_runtime.engine) as session:
        count = session.exec(select(func.count()).select_from(Product).where(Product.code == "sen"))
        assert count.one() == 1
        assert len(session.exec(select(IdempotencyRecord)).all()) == 1


def test_a_connection_lost_before_commit_is_reported_as_unavailable(pg_runtime: Runtime) -> None:
    _setup(pg_runtime)
    url = pg_runtime.settings.resolved_database_url.replace("postgresql+psycopg", "postgresql")
    with Session(pg_runtime.engine, expire_on_commit=False) as session:
        org = _org(session, "htx")
        create_product(session, org=org, code="sen", name_vi="Hạt sen")
        backend_pid = session.exec(text("SELECT pg_backend_pid()")).one()[0]  # type: ignore[call-overload]
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
        with pytest.raises(ServiceUnavailable):
            commit(session)
    with Session(pg_runtime.engine) as session:
        assert session.exec(select(Product).where(Product.code == "sen")).first() is None
