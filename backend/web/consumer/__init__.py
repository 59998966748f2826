"""The consumer side: the URL in a label's QR code, resolved to the lot's verification page.

``routes`` resolves the link; ``negotiation`` and ``page_request`` decide what the caller gets
back (page or JSON, language, gzip, headers); ``scans`` counts the label's scans; ``facts``,
``timeline`` and ``lot_page`` shape the ledger rows and the verification into the frozen
dataclasses of ``views`` that ``templates/consumer/`` renders.
"""
