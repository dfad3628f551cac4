"""Settings of the deployed functions that more than the CDK stack needs to know.

Pure constants (no boto3, no CDK): the stack sizes each function from here, and ``leadwire bench``
prices Lambda GB-seconds at the same memory sizes, so the cost it reports is the stack's.
"""

from __future__ import annotations

from typing import Final

# MB per function; more memory is more CPU, so the CPU-bound evaluators get more.
MEMORY_MB: Final[dict[str, int]] = {
    "ingestion": 512,  # shortens the cold start on the hot path
    "admin": 256,
    "segmentation": 1024,  # evaluation is CPU-bound
    "reevaluate": 1024,
    "sweep": 1024,  # evaluation, as in segmentation
    "reactions": 512,  # triggers and actions, one stream reader
    "feedback": 256,
}
