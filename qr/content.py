"""Which lines a label carries, in which order and weight."""

from __future__ import annotations

from qr.fonts import TRILINGUAL
from qr.model import LabelData
from qr.text import Paragraph
from qr.texts import ORIGIN_ZH, caption, caption3, format_date

#: The product name is the largest line; the English name sits just under it, smaller.
NAME_SCALE = 1.2
NAME_WEIGHT = 700
EN_NAME_SCALE = 0.9
# Which free text gives way first when a label is crowded: the English name, then the
# Vietnamese name, then the place. Lot, harvest date and serial are never cut.
_CUT_NAME_EN = 1
_CUT_NAME_VI = 2
_CUT_PLACE = 3


def label_paragraphs(label: LabelData, *, body_weight: int) -> list[Paragraph]:
    """Product name (vi, then en), lot, harvest date, commune and province, serial."""
    paras = [Paragraph(label.product_name_vi, NAME_WEIGHT, NAME_SCALE, _CUT_NAME_VI)]
    if label.product_name_en:
        paras.append(Paragraph(label.product_name_en, body_weight, EN_NAME_SCALE, _CUT_NAME_EN))
    paras.append(Paragraph(f"{caption('lot')}: {label.lot_code}", body_weight))
    if label.harvest_date is not None:
        paras.append(
            Paragraph(f"{caption('harvest')}: {format_date(label.harvest_date)}", body_weight)
        )
    place = ", ".join(part for part in (label.commune, label.province) if part)
    if place:
        paras.append(Paragraph(place, body_weight, shorten_order=_CUT_PLACE))
    if label.serial:
        paras.append(Paragraph(f"{caption('serial')}: {label.serial}", body_weight))
    return paras


def trilingual_paragraphs(label: LabelData, *, body_weight: int) -> list[Paragraph]:
    """The export label: names, then every caption in Vietnamese, English and Chinese, in
    the trilingual font (its weight shifted by :data:`~qr.fonts.TRILINGUAL`)."""
    body = body_weight + TRILINGUAL
    paras = [Paragraph(label.product_name_vi, body, NAME_SCALE, _CUT_NAME_VI)]
    if label.product_name_en:
        paras.append(Paragraph(label.product_name_en, body, EN_NAME_SCALE, _CUT_NAME_EN))
    paras.append(Paragraph(f"{caption3('lot')}: {label.lot_code}", body))
    if label.harvest_date is not None:
        paras.append(Paragraph(f"{caption3('harvest')}: {format_date(label.harvest_date)}", body))
    if label.best_before is not None:
        paras.append(
            Paragraph(f"{caption3('best_before')}: {format_date(label.best_before)}", body)
        )
    place = ", ".join(part for part in (label.commune, label.province, "Việt Nam") if part)
    paras.append(
        Paragraph(f"{caption3('origin')}: {place} · {ORIGIN_ZH}", body, shorten_order=_CUT_PLACE)
    )
    if label.serial:
        paras.append(Paragraph(f"{caption3('serial')}: {label.serial}", body))
    return paras
