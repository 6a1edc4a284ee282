"""auditor: audits online vocational-training exports against Chinese training-subsidy rules."""

__version__ = "0.1.0"

__all__ = ["__version__"]
