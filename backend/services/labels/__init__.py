"""Labels: printing serialised QR labels for a lot and recording the scans they get.

May import: ``services.ledger``, ``services.accounts``, ``qr``, models, errors, i18n.
"""
