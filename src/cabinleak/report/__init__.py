"""Layer 6: plots and reports."""
