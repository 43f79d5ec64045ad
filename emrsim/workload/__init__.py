"""Workloads: distributions, jobs, EMR steps, open streams of arrivals and trace replay."""
