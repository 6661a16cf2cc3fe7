"""The LeRobot v3.0 dataset, in layers: spec, store, sensors, reading and writing, editing (docs/architecture.md)."""
