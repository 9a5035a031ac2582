"""The live console, ``cabinleak serve``: telemetry in, the leak test on every sample, the
estimate refreshed in a worker, alarms with their acknowledgements, the localization
assistant, all kept in an embedded database and shown in a browser.

The modules, each on one topic: :mod:`.store` (SQLite, the durable record),
:mod:`.ingest` (samples in the telemetry table's column convention, checked),
:mod:`.online` (the sequential leak test, sample by sample), :mod:`.live` (the console's
state: window, detectors, alarms), :mod:`.worker` (the full estimate in the background),
:mod:`.sources` (``--demo``, ``--replay``, ``--follow``), :mod:`.assistant` (the
localization session), :mod:`.auth` (the access token) and :mod:`.app` (pages and API).
Nothing outside :mod:`cabinleak.cli.serve` imports this package.
"""
