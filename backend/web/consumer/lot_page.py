"""The lot page's model: the verification, the lineage and the product shaped into one
:class:`LotPageView`, with the lineage's ancestry, its anchors on the chain and any recall."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlmodel import Session

from backend.config import Settings
from backend.i18n import Translator
from backend.services.catalog import gs1_prefixes
from backend.services.labels.scans import ScanSummary
from backend.services.verification.chain_view import AnchorFact
from backend.services.verification.lineage import Lineage
from backend.services.verification.proven_facts import proven_lot_facts, proven_org_names
from backend.services.verification.results import Verification
from backend.timeutil import as_utc
from backend.web.consumer.ancestry import lot_ancestry
from backend.web.consumer.facts import ProductAndFarm, product_from_facts, with_claims
from backend.web.consumer.mass_flow import kg_in_out
from backend.web.consumer.timeline import in_transit_to, timeline, verdict_details
from backend.web.consumer.views import AnchorView, LotPageView, RecallView

#: Placeholders an explorer link template may use, e.g.
#: ``SENTRACE_EXPLORER_TX_URL=https://sepolia.etherscan.io/tx/{tx}``.
TX_PLACEHOLDER = "{tx}"
BLOCK_PLACEHOLDER = "{block}"
CHAIN_PLACEHOLDER = "{chain_id}"


def build_lot_page(
    session: Session,
    *,
    lineage: Lineage,
    verification: Verification,
    product: ProductAndFarm | None,
    settings: Settings,
    lang: str,
    t: Translator,
    scan: ScanSummary | None,
) -> LotPageView:
    """Shape one verification into the page (one more query, for a split or merged v1 lot)."""
    lot = lineage.record.lot
    quantity, unit = lot.quantity, lot.unit
    harvested = next((r.lot.harvested_at for r in lineage.records if r.lot.harvested_at), None)
    facts = proven_lot_facts(verification)
    if facts is not None:  # rules v2: every fact from the verified first document
        product = product_from_facts(facts)
        quantity, unit = facts["quantity"], facts["unit"]
        stated = facts["harvested_at"]
        harvested = datetime.fromisoformat(stated) if stated else None
    events = timeline(verification, lineage, lang, t, unit)
    gtin = product.gtin if product else None
    owner = gs1_prefixes.brand_owner(session, gtin)
    owner_name = owner.name if owner else None
    if facts is not None and owner is not None:
        # The register says which organisation holds the prefix; its name is shown only as a
        # checked document states it (an organisation row can be renamed behind the app's back).
        owner_name = proven_org_names(verification).get(owner.slug)
    return LotPageView(
        verdict=str(verification.verdict),
        verdict_details=verdict_details(verification, events, lang, t),
        lot_code=lot.code,
        product_name=product.name(lang) if product else lot.code,
        gtin=gtin,
        quantity=quantity,
        unit=unit,
        harvested_at=as_utc(harvested) if harvested else None,
        farm=with_claims(session, product, verification.chain) if product else None,
        ancestry=lot_ancestry(session, lineage, verification),
        events=events,
        anchors=_anchors(lineage, verification, settings),
        recall=_recall(verification),
        scan=scan,
        proof_url=f"/api/v1/lots/{quote(lot.code, safe='')}/proof",
        late_after_h=round(verification.chain.late_after_s / 3600),
        brand_owner=owner_name,
        brand_unnamed=owner is not None and owner_name is None,
        kg_in_out=kg_in_out(verification),
        in_transit_to=in_transit_to(verification, lineage),
    )


def explorer_link(
    template: str, *, tx: str | None = None, block: int | None = None, chain_id: int | None = None
) -> str | None:
    """Fill an explorer URL template from settings; ``None`` if unset or not http(s).

    Plain replacement rather than ``str.format`` so that a template with other braces in it
    cannot raise or pull attributes out of the values.
    """
    if not template or not template.lower().startswith(("https://", "http://")):
        return None
    if TX_PLACEHOLDER in template and tx is None:
        return None
    if BLOCK_PLACEHOLDER in template and block is None:
        return None
    link = template.replace(TX_PLACEHOLDER, tx or "").replace(BLOCK_PLACEHOLDER, str(block))
    return link.replace(CHAIN_PLACEHOLDER, "" if chain_id is None else str(chain_id))


def _anchors(
    lineage: Lineage, verification: Verification, settings: Settings
) -> tuple[AnchorView, ...]:
    """One entry per batch of the lineage the chain shows anchored, oldest block first.

    Block and transaction come from the chain's own answer (the registry's anchor and its
    ``BatchAnchored`` log), never from the batch row, which anyone with the database can edit.
    """
    del lineage  # the rows only group events; the facts shown are the chain's
    seen: dict[tuple[int, str], AnchorFact] = {}
    for lot_check in (verification.lot, *verification.ancestors):
        for check in lot_check.events:
            anchor = check.anchor
            if anchor is not None and anchor.block_number is not None and anchor.tx_hash:
                seen.setdefault((anchor.block_number, anchor.tx_hash), anchor)
    chain_id = verification.chain.chain_id
    contract = verification.chain.contract_address
    return tuple(
        AnchorView(
            block_number=block,
            tx_hash=tx,
            tx_url=explorer_link(settings.explorer_tx_url, tx=tx, chain_id=chain_id),
            block_url=explorer_link(settings.explorer_block_url, block=block, chain_id=chain_id),
            chain_id=chain_id,
            contract_address=contract,
        )
        for block, tx in sorted(seen)
    )


def _recall(verification: Verification) -> RecallView | None:
    info = verification.recall
    if info is None:
        return None
    recalled_at = None
    if info.recalled_at:
        recalled_at = as_utc(datetime.fromisoformat(info.recalled_at.replace("Z", "+00:00")))
    return RecallView(lot_code=info.lot_code, reason=info.reason or "", recalled_at=recalled_at)
