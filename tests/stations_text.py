"""Station texts shared by several test modules."""

#: The minimal station file of issue 2, verbatim: it must load and simulate as written.
MINIMAL_CHAMBER = """
name = "test-chamber"
[[module]]
id = "chamber"
volume_m3 = 100
pressure_Pa = 101325
temperature_K = 295
[[leak]]
module = "chamber"
diameter_mm = 10
discharge_coefficient = 1.0
"""
