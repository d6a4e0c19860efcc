"""Grading a roster on a Dask distributed cluster (`grader grade ROSTER --cluster ADDRESS`).

One task per group: a worker fetches the group's repository and grades it against its own Docker Engine by
running the local batch for that one group, then sends back what it wrote; the lecturer's machine writes
every group's files and the summaries exactly as a local batch does. Importing this package imports Dask,
which grader does only for `--cluster`.
"""

from __future__ import annotations

from grader.cluster.client import grade_on_cluster
from grader.cluster.options import ClusterOptions

__all__ = ["ClusterOptions", "grade_on_cluster"]
