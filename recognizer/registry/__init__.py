"""The model registry: every trained version, which one is in service and which is the
challenger, loading them in each process, and their figures on drawing-like sets."""
