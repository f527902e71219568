"""Test support, not product code: real-server launchers and synthetic run directories.

Tests and benchmarks import it; ``loadgate``, ``loadtests``, ``reports`` and ``target_app`` never do
(import-linter checks it). It is not part of the wheel.
"""
