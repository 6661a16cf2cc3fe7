"""lerec camera plugin for OpenCV: devices, network streams and video files (``type: opencv``)."""
