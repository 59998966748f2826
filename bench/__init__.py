"""The benchmark suite behind ``make bench`` (entry point: scripts/bench.py).

Every figure is measured next to a baseline taken in the same run, on the same machine and,
where a server is involved, on the same server process, because on a shared two-core machine
only ratios travel. Sections (one module each, all with ``run(config) -> SectionResult``):

* ``gas``: gas per event of one anchor per batch against ``recordLotEvent`` per event (anvil);
* ``ingest``: events accepted per second through the service layer and the HTTP API, SQLite
  and PostgreSQL, with the anchoring worker running, and time from acceptance to ``verified``;
* ``anchoring``: Merkle trees and proofs for 100,000 events, and anchoring them on anvil;
* ``verification``: the public verification endpoint and consumer page under load;
* ``verification_rules``: what rules v2 cost one verification against rules v1 (in process
  and over HTTP, two lots in one database, anchored together);
* ``ancestry``: the verification endpoint for lots whose ancestors hold 20 to 30,000 events;
* ``mixed``: scans on PostgreSQL with several processes while writes and labels go on;
* ``labels``: labels per second into PDF and ZPL.

Support modules: ``config`` (sizes, ``--quick``), ``results`` (rows, the markdown table),
``stats`` (percentiles, rates), ``chain`` (a throw-away anvil), ``postgres`` (a throw-away
cluster), ``seed`` (organisations, farms, lots), ``server`` (uvicorn in a subprocess),
``wrk`` (HTTP load from the Debian ``wrk`` binary: the ingest and verification sections),
``load`` (the async httpx load client, and the result type ``wrk`` extends), ``chart`` (the
PNG chart, drawn with Pillow).
"""
