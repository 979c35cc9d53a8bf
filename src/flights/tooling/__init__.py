"""Repository tooling, run by make targets rather than stages: the sweep, the PR report and verify."""
