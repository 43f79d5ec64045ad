"""Workloads: distributions, jobs, EMR steps and open streams of arrivals."""
