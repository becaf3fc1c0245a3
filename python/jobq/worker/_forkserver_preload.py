"""Imported only by the CPU pool's forkserver process, before it serves.

The forkserver is the parent of every CPU child, and the children die with
it (PR_SET_PDEATHSIG). A SIGTERM sent to the worker's whole process group
must drain the worker, so the forkserver ignores it, as the children do;
it still exits when the worker does (multiprocessing's alive pipe).
"""

import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)
