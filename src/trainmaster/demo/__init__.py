"""`trainmaster demo`: a whole release train on one machine, through the real code paths."""
