"""Layer 5 (inference): leak detection, leak-rate estimation, flow laws and forecasts."""

from cabinleak.estimate.mass import EstimateError, MassSeries, bin_series, mass_series, noise_sd

__all__ = ["EstimateError", "MassSeries", "bin_series", "mass_series", "noise_sd"]
