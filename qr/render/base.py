"""The renderer interface: labels in, the bytes of one file out.

Modelled on an image factory: this small abstract base says what every output kind offers,
one module per kind implements it (:mod:`.png`, :mod:`.pngzip`, :mod:`.pdf`, :mod:`.zpl`), and
:func:`qr.render.render_labels` picks one by its format name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from qr.encode import ErrorCorrection
from qr.layouts import Layout
from qr.model import LabelData


class LabelRenderer(ABC):
    """Turns a run of labels into one file of a given kind."""

    #: MIME type of the file produced.
    media_type: ClassVar[str]
    #: File name extension, without the dot.
    extension: ClassVar[str]

    def supports(self, layout: Layout) -> bool:
        """Whether this kind of file makes sense for ``layout`` (ZPL needs roll media)."""
        return True

    @abstractmethod
    def render(
        self,
        labels: Sequence[LabelData],
        layout: Layout,
        dpi: int,
        *,
        level: ErrorCorrection = ErrorCorrection.M,
    ) -> bytes:
        """The file's bytes; ``labels`` is non-empty and ``dpi`` one the layout offers."""
