"""The process-wide capacity meter that adapters report to unless given their own.

In Lambda it only accumulates per container; ``leadwire bench`` and ``leadwire demo`` read it to
report write and read units per event, counted where the items are written and read.
"""

from leadwire.core.capacity import CapacityMeter

PROCESS_METER = CapacityMeter()
