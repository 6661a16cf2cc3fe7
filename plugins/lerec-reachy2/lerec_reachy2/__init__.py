"""lerec camera plugin for Reachy 2 cameras, through reachy2-sdk (``type: reachy2``)."""
