"""camaudit: audit a video-surveillance estate, find who really made each device, and say what follows."""

__version__ = "0.1.0"
