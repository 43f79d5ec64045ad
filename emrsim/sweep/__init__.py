"""Running many simulations: replications of one scenario (grids and Dask come later)."""
