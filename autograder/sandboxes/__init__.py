"""Where a student's kernel runs: one class per backend, and the choice of backend that is proven to work."""

from autograder.sandboxes.base import KernelPlace, Sandbox, SandboxUnavailable, kernel_place, prepare_scratch
from autograder.sandboxes.choose import backend, select

__all__ = ["KernelPlace", "Sandbox", "SandboxUnavailable", "backend", "kernel_place", "prepare_scratch", "select"]
