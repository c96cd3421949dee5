"""Measurement: weight statistics and histograms, the lifecycle's stages derived from the
trained weights, and the evaluation-only analyses (sweep, sensitivity, payoff).
Its source (with train/) is the key of the cached results.
"""
