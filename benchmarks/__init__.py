"""Speed benchmarks of emrsim, measured as ratios against bare SimPy in the same run."""
