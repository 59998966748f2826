"""API input and output models (JSON shapes of the REST API).

Inputs check *shape* only (which keys, which JSON types, length caps); what a value means
(a positive quantity, a known farm, a GTIN check digit, NFC) is checked by the services, which
name the field in their error, so the CLI and the API share one set of rules. Unknown keys are
refused (``extra="forbid"``) so a typo such as ``quantiy`` is an error, not silently ignored.

Numbers that may end up hashed (quantities, coordinates, doses) are accepted as JSON numbers or
decimal strings and always come back as decimal strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

from backend.models import OrgRole
from backend.services.ledger.events import MAX_BATCH_EVENTS
from backend.services.validation import FREE_NODES_MAX


def _text_only(value: Any) -> Any:
    """Times arrive as RFC 3339 text; refuse numbers (Unix seconds) rather than guess."""
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


def _number_or_text(value: Any) -> Any:
    """Let JSON numbers and strings through (booleans are not numbers); one error otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a number or a decimal string")
    return value


#: A JSON number or a decimal string; the services turn it into a canonical decimal string.
Decimalish = Annotated[
    str | int | float, PlainValidator(_number_or_text, json_schema_input_type=str | int | float)
]
#: An RFC 3339 time; offsets are required (checked by the services, which name the field).
Timestamp = Annotated[datetime, BeforeValidator(_text_only)]
JsonObject = dict[str, Any]
#: Names of members of ``data`` recorded as commitments (rules v2); the services check that
#: each names a free-text member present in ``data``, once.
PrivateNames = Annotated[
    list[Annotated[str, Field(max_length=200)]], Field(max_length=FREE_NODES_MAX)
]
#: ``pending`` until the event's batch is confirmed on chain, then ``anchored``.
AnchorStatus = Literal["pending", "anchored"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- organisations and keys ---------------------------------------------------------------


class OrgCreate(_Input):
    """Body of ``POST /orgs`` (admin)."""

    slug: str = Field(max_length=64)
    name: str = Field(max_length=400)
    role: str = Field(max_length=32)
    key_custody: str = Field(default="client", max_length=16)  # client | browser | custodial


class OrgPublic(BaseModel):
    """An organisation as anyone may see it."""

    slug: str
    name: str
    role: OrgRole


class OrgCreated(OrgPublic):
    """Answer to ``POST /orgs``: the organisation and its first key, shown this once."""

    api_key: str
    key_custody: str


class ApiKeyCreate(_Input):
    """Body of ``POST /orgs/{slug}/keys``."""

    label: str = Field(default="", max_length=200)


class ApiKeyPublic(BaseModel):
    """A key as listed: never the key itself."""

    id: int
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    """Answer to ``POST /orgs/{slug}/keys``: the new key in clear, shown this once."""

    api_key: str


# --- farms and products -------------------------------------------------------------------


class Certification(_Input):
    """One certificate of a farm (VietGAP, GlobalGAP, organic …) with its validity."""

    scheme: str = Field(max_length=40)
    number: str = Field(max_length=128)
    issuer: str | None = Field(default=None, max_length=400)  # the certifying body
    valid_from: date | None = None
    valid_until: date | None = None


class FarmCreate(_Input):
    """Body of ``POST /farms`` (cooperative)."""

    code: str = Field(max_length=128)
    name: str = Field(max_length=400)
    commune: str = Field(max_length=240)
    province: str | None = Field(default=None, max_length=240)
    lat: Decimalish | None = None
    lon: Decimalish | None = None
    area_ha: Decimalish | None = None
    growing_area_code: str | None = Field(default=None, max_length=128)
    certifications: list[Certification] = Field(default_factory=list, max_length=50)


class FarmSummary(BaseModel):
    """A farm's public face on a lot page (no GPS point: a farm is often someone's home)."""

    code: str
    name: str
    commune: str
    province: str
    growing_area_code: str | None
    certifications: list[dict[str, Any]]


class FarmPublic(FarmSummary):
    """A farm as its owner sees it."""

    owner: str
    lat: str | None
    lon: str | None
    area_ha: str | None
    created_at: datetime


class ProductCreate(_Input):
    """Body of ``POST /products``."""

    code: str = Field(max_length=128)
    name_vi: str = Field(max_length=400)
    name_en: str | None = Field(default=None, max_length=400)
    gtin: str | None = Field(default=None, max_length=32)


class ProductPublic(BaseModel):
    """A product; ``gtin`` is GTIN-14 when present."""

    code: str
    name_vi: str
    name_en: str | None
    gtin: str | None


# --- lots and events ----------------------------------------------------------------------


class LotCreate(_Input):
    """Body of ``POST /lots`` (cooperative, own farm): a harvest lot."""

    code: str | None = Field(default=None, max_length=64)
    product: str = Field(max_length=128)
    farm: str = Field(max_length=128)
    quantity: Decimalish
    unit: str = Field(max_length=64)
    harvested_at: Timestamp
    location: JsonObject | None = None
    data: JsonObject | None = None
    private: PrivateNames = Field(default_factory=list)


class EventCreate(_Input):
    """Body of ``POST /lots/{code}/events`` (current custodian)."""

    type: str = Field(max_length=64)
    occurred_at: Timestamp
    location: JsonObject | None = None
    data: JsonObject = Field(default_factory=dict)
    private: PrivateNames = Field(default_factory=list)


class EventAccepted(BaseModel):
    """An event stored and hashed; ``status`` is ``pending`` until its batch is confirmed."""

    id: str
    event_hash: str
    status: AnchorStatus = "pending"


class EventBatchItem(EventCreate):
    """One event of ``POST /events/batch``: an :class:`EventCreate` that names its lot."""

    lot: str = Field(max_length=64)


class EventBatchCreate(_Input):
    """Body of ``POST /events/batch``: events logged offline, on any lots the caller holds."""

    events: list[EventBatchItem] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class BatchAccepted(BaseModel):
    """Answer to ``POST /events/batch``: every event stored, in request order (not a Merkle
    batch: these events are anchored by the worker like any others)."""

    accepted: int
    events: list[EventAccepted]


class TransferRequest(_Input):
    """Body of ``POST /lots/{code}/transfer``."""

    to: str = Field(max_length=64)
    occurred_at: Timestamp | None = None
    location: JsonObject | None = None
    note: str | None = Field(default=None, max_length=2000)


class SplitChild(_Input):
    """One child of a split; its code is generated when omitted."""

    code: str | None = Field(default=None, max_length=64)
    quantity: Decimalish


class SplitRequest(_Input):
    """Body of ``POST /lots/{code}/split``."""

    children: list[SplitChild] = Field(max_length=1000)
    occurred_at: Timestamp | None = None
    location: JsonObject | None = None


class SplitPart(BaseModel):
    """A child lot made by a split, or a source lot of a merge, with its quantity."""

    code: str
    quantity: str


class SplitResult(BaseModel):
    """Answer to a split."""

    children: list[SplitPart]


class MergeRequest(_Input):
    """Body of ``POST /lots/merge``: lots of one product, all held by the caller."""

    lots: list[str] = Field(max_length=1000)
    code: str | None = Field(default=None, max_length=64)
    occurred_at: Timestamp | None = None
    location: JsonObject | None = None


class RecallRequest(_Input):
    """Body of ``POST /lots/{code}/recall`` (regulator)."""

    reason: str = Field(max_length=4000)
    occurred_at: Timestamp | None = None


class LinkedLotPublic(BaseModel):
    """A parent or child across a split or merge edge."""

    code: str
    kind: str
    quantity: str | None


class EventPublic(BaseModel):
    """An event as stored (exactly the hashed fields) with its anchoring status."""

    id: str
    type: str
    occurred_at: datetime
    recorded_at: datetime
    org: str
    location: JsonObject | None
    data: JsonObject
    event_hash: str
    status: AnchorStatus
    batch_root: str | None


class LotSummary(BaseModel):
    """A lot in a listing."""

    code: str
    product: ProductPublic
    quantity: str
    remaining_quantity: str
    unit: str
    harvested_at: datetime | None
    custodian: OrgPublic
    recalled: bool


class LotPublic(LotSummary):
    """``GET /lots/{code}``: everything public about a lot, events in time order."""

    farm: FarmSummary | None
    parents: list[LinkedLotPublic]
    children: list[LinkedLotPublic]
    recalled_at: datetime | None
    recall_reason: str | None
    events: list[EventPublic]


class LotCreated(LotSummary):
    """Answer to ``POST /lots`` and ``POST /lots/merge``: the lot and the event recording it."""

    farm: FarmSummary | None
    event: EventAccepted


class LotChanged(BaseModel):
    """Answer to a transfer or a recall: the lot's new state and the event recording it."""

    code: str
    custodian: OrgPublic
    recalled: bool
    recalled_at: datetime | None
    recall_reason: str | None
    event: EventAccepted


class LotPage(BaseModel):
    """A page of ``GET /lots``."""

    items: list[LotSummary]
    total: int
    limit: int
    offset: int


# --- disclosures --------------------------------------------------------------------------


class DisclosedValue(BaseModel):
    """A private value with its salt; ``checked`` says whether it opens ``commitment``, the one
    at ``path`` in the event's stored document (``null`` when none is found there)."""

    path: str
    value: Any
    salt: str
    commitment: str | None
    checked: bool


class EventDisclosure(BaseModel):
    """The disclosed values of one event of the lot."""

    event_id: str
    seq: int | None
    values: list[DisclosedValue]


class LotDisclosure(BaseModel):
    """``GET /lots/{code}/disclosure``: the lot's private values its caller may read."""

    lot: str
    events: list[EventDisclosure]
