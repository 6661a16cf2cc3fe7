"""The plugin contract shared by every device kind (cameras, robots, teleoperators) and its discovery."""
