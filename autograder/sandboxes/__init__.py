"""Where a student's kernel runs: one class per backend, and the choice of backend that is proven to work."""

from autograder.sandboxes.base import Sandbox, SandboxUnavailable, install_kernelspec, prepare_scratch
from autograder.sandboxes.choose import backend, select

__all__ = ["Sandbox", "SandboxUnavailable", "backend", "install_kernelspec", "prepare_scratch", "select"]
