"""GS1 EPCIS 2.0: the CBV 2.0 event hash, validation, export of proven lots, capture, queries.

May import what ``services.interop`` may (docs/epcis.md is the mapping these modules follow).
"""
