"""auditor: audits online vocational-training exports against Chinese training-subsidy rules."""

import warnings

__version__ = "0.1.0"

__all__ = ["__version__"]

# pyspark 4.3 warns on import that it does not yet fully support pandas 3 (GX imports pyspark
# whenever it is installed, so even a DuckDB audit printed it twice). The Spark engine hands
# pyspark no pandas object (Arrow UDFs, Parquet, Python rows), and tests/test_spark_audit.py
# holds both engines' outputs equal with these very versions: the warning says nothing here.
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
