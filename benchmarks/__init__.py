"""Speed, threshold and reproduction measurements (not run in CI)."""
