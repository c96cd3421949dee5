"""Every training run of a build as a job: the plan (from the configuration alone),
the work a job does wherever it runs, and the executors that run the jobs (this
process, worker processes, or a Dask cluster), each job's output a cache entry.
"""
