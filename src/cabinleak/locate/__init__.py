"""Layer 5 (inference): where the leak is. Hatch-closure tests, their Bayesian reading,
and the planner that chooses the next one."""
