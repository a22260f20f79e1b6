"""Node runtimes, one module per node family; importing this package registers them all."""
