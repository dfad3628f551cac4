"""Operator tools that run outside the Lambda functions (``leadwire replay``)."""
