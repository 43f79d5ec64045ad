"""EC2 nodes: the shipped instance catalogue and the types a scenario resolves to."""
