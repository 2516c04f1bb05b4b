"""The scheduler process: a table of jobs, each a plain function."""
