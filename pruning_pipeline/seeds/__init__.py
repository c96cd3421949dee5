"""A run of several seeds: each number as a value over the seeds (`value`), the τ sweeps
on one grid (`grid`) and the findings flagged in how many seeds they hold (`flags`).
Pure; where the seeds get combined for the site is `pruning_pipeline.site.published`."""
