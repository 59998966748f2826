"""What EPCIS 2.0's REST binding says every answer carries: versions and the media type."""

from __future__ import annotations

JSON_LD = "application/ld+json"
EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
#: Sent with every EPCIS answer (the standard's ``GS1-EPCIS-Version`` and ``GS1-CBV-Version``).
VERSION_HEADERS = {"GS1-EPCIS-Version": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION}
