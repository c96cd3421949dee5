"""The site: facts and claims judged from the metrics, the tables and Markdown blocks
pages show, the named placeholders that put them there, the build inputs read from
MkDocs, and the files a build publishes. Pure text and data; never part of a cache key.
"""
