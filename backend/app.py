"""The FastAPI application factory.

Routers are listed once in ``ROUTER_MODULES``; each module exposes ``router`` and may expose
``BODY_LIMITS`` (exact path → a body limit above ``SENTRACE_MAX_BODY_BYTES``). The factory takes
a ready ``Runtime`` so that tests and the server decide how the database and chain are made.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import anyio.to_thread
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from backend.api.auth import AUTHENTICATORS
from backend.api.errors import install_error_handlers
from backend.http.idempotency import IdempotencySweeper
from backend.http.rate_limit import stop_public_limiter
from backend.middleware import install_middleware
from backend.runtime import Runtime
from backend.services.compliance.webhook_sender import WebhookSender
from backend.web.field.session_auth import authenticate_field_session

ROUTER_MODULES: list[str] = [
    # The busiest routes first: a request is matched against the routes in this order.
    "backend.api.verification",
    "backend.api.events",
    "backend.web.consumer.routes",
    "backend.web.consumer.well_known",
    "backend.api.lot_status",
    "backend.api.event_batches",
    "backend.api.lots",
    "backend.api.disclosures",
    "backend.api.custody",
    "backend.api.orgs",
    "backend.api.farms",
    "backend.api.farm_diary",
    "backend.api.farm_claims",
    "backend.api.growing_areas",
    "backend.api.recall_notices",
    "backend.api.lot_compliance",
    "backend.api.products",
    "backend.api.labels",
    "backend.api.batches",
    "backend.api.epcis_export",
    "backend.api.epcis",
    "backend.web.operator.assets",
    "backend.web.operator.bundle",
    "backend.web.operator.auth",
    "backend.web.operator.dashboard",
    "backend.web.operator.farms",
    "backend.web.operator.lots",
    "backend.web.operator.lot_page",
    "backend.web.operator.actions",
    "backend.web.operator.shipments",
    "backend.web.operator.labels",
    "backend.web.operator.regulator",
    "backend.web.operator.compliance",
    "backend.web.operator.admin",
    "backend.web.operator.keys",
    "backend.web.operator.account",
    "backend.web.field.public",
    "backend.web.field.routes",
]


def create_app(runtime: Runtime) -> FastAPI:
    """An app bound to ``runtime`` (stored on ``app.state.runtime``)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The pool every plain-function handler and dependency runs in (see request_threads).
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            runtime.settings.request_threads
        )
        sender = None
        if runtime.settings.webhook_poll_s > 0:  # recall notices to organisations' webhooks
            sender = WebhookSender(runtime.engine, runtime.settings)
            sender.start()
        app.state.webhook_sender = sender
        ttl = timedelta(hours=runtime.settings.idempotency_ttl_h)
        sweeper = IdempotencySweeper(
            runtime.engine, ttl=ttl, every_s=min(3600.0, ttl.total_seconds() / 4)
        )
        sweeper.start()
        app.state.idempotency_sweeper = sweeper
        yield
        stop_public_limiter(app.state)
        sweeper.stop()
        if sender is not None:
            sender.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="SenTrace",
        description="Truy xuất nguồn gốc nông sản Đồng Tháp — farm-to-market traceability",
        version="0.1.0",
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    if authenticate_field_session not in AUTHENTICATORS:
        # The field app calls the batch endpoint with its operator session (after the bearer
        # authenticator, so a request with an API key is judged on that alone).
        AUTHENTICATORS.append(authenticate_field_session)
    body_limits: dict[str, int] = {}
    for module_name in ROUTER_MODULES:
        module = importlib.import_module(module_name)
        app.include_router(module.router)
        body_limits.update(getattr(module, "BODY_LIMITS", {}))
    install_middleware(app, max_body_bytes=runtime.settings.max_body_bytes, path_limits=body_limits)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up (says nothing about its dependencies)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> JSONResponse:
        """Database reachable, chain reachable, registry contract deployed."""
        database = runtime.database_ok()
        chain = runtime.chain_status()
        ready = database and chain["reachable"] and chain["contract_deployed"]
        body = {"status": "ready" if ready else "not_ready", "database": database, **chain}
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
