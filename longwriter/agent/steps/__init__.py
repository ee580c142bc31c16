"""The graph's steps, one module each: read the state and the run, return a partial update."""
