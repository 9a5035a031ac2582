"""Layer 6: consequence campaigns, many scenarios through the whole chain (penetration →
leak → detection → search → outcome), run through a ``concurrent.futures.Executor``.

:mod:`.spec` reads the TOML description, :mod:`.sampling` draws the scenarios,
:mod:`.response` plays the crew's response, :mod:`.prepare` builds the tables once,
:mod:`.runner` runs the chunks (and resumes), :mod:`.results` summarises,
:mod:`.report` writes the HTML report.
"""
