"""HDFS: replication factor, capacity, and the block map of data on core nodes."""
