"""Training: device choice, datasets, the reference model, the pruning rules, the
training loop and the two training runs (plain and pruned in the loop).
Its source is the key of the cached training runs: editing it retrains.
"""
