"""Layer 5 (inference): leak detection, leak-rate estimation, flow laws and forecasts.

:func:`analyze` runs the whole chain on a telemetry table; the pieces are
:mod:`.mass` (gas mass from p and T), :mod:`.detect` (the leak alarm), :mod:`.dpdt`
(the emergency dP/dt alarm), :mod:`.flowlaw` (hole or crack, Cd·A), :mod:`.kalman`
(the rate over time), :mod:`.forecast` (floors and gas), :mod:`.acceptance` and
:mod:`.fleet` (ground pressure-decay tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cabinleak.lazy import lazy_package

# The names below are imported on first use (cabinleak.lazy), so that importing one light
# submodule (checks, noise, thermal) does not pull SciPy through the others.
if TYPE_CHECKING:
    from cabinleak.estimate.acceptance import AcceptanceResult, acceptance_test
    from cabinleak.estimate.analysis import LeakAnalysis, Settings, VolumeAnalysis, analyze
    from cabinleak.estimate.checks import EstimateError
    from cabinleak.estimate.detect import Detection, detect_leak
    from cabinleak.estimate.dpdt import DpdtAlarm, dpdt_alarm
    from cabinleak.estimate.fleet import FleetSummary, fleet_summary
    from cabinleak.estimate.flowlaw import LawComparison, LawFit, compare_laws, fit_law
    from cabinleak.estimate.forecast import Forecast, Interval, forecast
    from cabinleak.estimate.kalman import RateTrack, track_rate
    from cabinleak.estimate.mass import MassSeries, bin_series, mass_series, noise_sd

__all__ = [
    "AcceptanceResult",
    "Detection",
    "DpdtAlarm",
    "EstimateError",
    "FleetSummary",
    "Forecast",
    "Interval",
    "LawComparison",
    "LawFit",
    "LeakAnalysis",
    "MassSeries",
    "RateTrack",
    "Settings",
    "VolumeAnalysis",
    "acceptance_test",
    "analyze",
    "bin_series",
    "compare_laws",
    "detect_leak",
    "dpdt_alarm",
    "fit_law",
    "fleet_summary",
    "forecast",
    "mass_series",
    "noise_sd",
    "track_rate",
]

lazy_package(__name__, {
    "acceptance": ("AcceptanceResult", "acceptance_test"),
    "analysis": ("LeakAnalysis", "Settings", "VolumeAnalysis", "analyze"),
    "checks": ("EstimateError",),
    "detect": ("Detection", "detect_leak"),
    "dpdt": ("DpdtAlarm", "dpdt_alarm"),
    "fleet": ("FleetSummary", "fleet_summary"),
    "flowlaw": ("LawComparison", "LawFit", "compare_laws", "fit_law"),
    "forecast": ("Forecast", "Interval", "forecast"),
    "kalman": ("RateTrack", "track_rate"),
    "mass": ("MassSeries", "bin_series", "mass_series", "noise_sd"),
})
