"""Running agents on the nodes of a Ray cluster (``execution.backend: ray``, docs/cluster.md).

``bundles``: a task's starting point and its work travel as git bundles (no shared
filesystem). ``resources``: where a run may go, as Ray resources. ``node_run``: what a
node does with one run (pure Python, no Ray). ``ray_backend``: the coordinator's side,
the only module here that imports Ray. ``nodes``: the cluster as ``convergio health``
shows it.
"""
