"""The one audit pipeline: collect -> identify -> assess -> store, for scans, listening and imports.

:class:`~camaudit.pipeline.service.AuditService` owns a scan's state in the store and runs the stages;
:mod:`camaudit.pipeline.stages` holds identification and assessment as pure functions of observations and
knowledge, so they run unchanged on the event loop, in a process pool, a server job or a Dask partition.
"""
