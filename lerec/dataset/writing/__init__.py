"""Writing and appending: one episode appended where the format says, its save, the depth conversion."""
