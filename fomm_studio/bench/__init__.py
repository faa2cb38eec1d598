"""Measuring the live frame: variants of a model (device, precision, compiled, backend) timed in turns."""
