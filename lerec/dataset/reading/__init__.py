"""Reading and validation: rows, frames by time, images, Hub datasets, summaries, the soundness check."""
