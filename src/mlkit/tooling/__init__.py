"""Repository tooling, apart from the stage components: the PR report and its gates, experiment sweeps,
verify and the runner of git and DVC commands."""
