"""Publishing datasets to the Hugging Face Hub: ``lerec push`` and a recording session's uploads
(:mod:`lerec.hub.push`). Reading a dataset from the Hub is :mod:`lerec.dataset.reading.remote`."""
