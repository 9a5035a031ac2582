"""Layer 1: pure physics on SI floats or NumPy arrays (gas, flow laws, thermal, units)."""
