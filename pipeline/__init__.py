"""IMVO report screening: PDF -> passages -> theme and due-diligence labels -> completeness scorecard."""

__version__ = "0.1.0"
