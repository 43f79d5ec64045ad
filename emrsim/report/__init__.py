"""Reading results: summaries, aggregates over replications, files, plots."""
