"""The pipeline over Dask partitions: ``camaudit bulk``."""
