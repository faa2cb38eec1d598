"""Inference backends of the per-frame work: the seam (`base`), the on-disk export cache (`cache`), the
OpenVINO export (`openvino_backend`) and the choice between them behind a fidelity guard (`choice`)."""
