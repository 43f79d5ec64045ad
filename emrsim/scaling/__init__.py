"""Autoscaling: EMR managed scaling and custom automatic scaling rules."""
