"""Products: registered by cooperatives, packers or the admin; listed for anyone."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep, WriteDep
from backend.schemas import ProductCreate, ProductPublic
from backend.services.catalog import products

router = APIRouter(prefix="/api/v1/products", tags=["products"])


@router.post("", status_code=201, response_model=ProductPublic)
def create_product(
    body: ProductCreate, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """Register a product; a GTIN is checked and stored as GTIN-14."""

    def action() -> ProductPublic:
        product = products.create_product(
            session,
            org=org,
            code=body.code,
            name_vi=body.name_vi,
            name_en=body.name_en,
            gtin=body.gtin,
        )
        return presenters.product_public(product)

    return write.run(action)


@router.get("", response_model=list[ProductPublic])
def list_products(session: SessionDep) -> list[ProductPublic]:
    """Every product (public reference data)."""
    return [presenters.product_public(p) for p in products.list_products(session)]
