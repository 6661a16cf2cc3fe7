"""A dataset's sensor streams: their declaration and files, written as recorded, read back, checked."""
