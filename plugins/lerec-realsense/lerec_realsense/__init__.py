"""lerec camera plugin for Intel RealSense: colour and depth, live or from a recorded file (``type: realsense``)."""
