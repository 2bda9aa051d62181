"""End to end: crawls, workers and services in subprocesses against servers started on 127.0.0.1."""
