# The noop job of the RQ benchmark (imported by the producer and the workers).


def noop(x):
    return None
