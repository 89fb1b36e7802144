"""Fault-injection suite for Sluice: real sluiced processes in network
namespaces, nemeses, AWS SDK workloads, a recorded history and checkers."""
