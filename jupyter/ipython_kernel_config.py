# Installed by `make setup` into .venv/etc/ipython/, where every IPython kernel of the project's
# environment reads it. Text that native libraries (TensorFlow's C++ start-up messages) write
# straight to the process's stderr goes to the terminal that runs Jupyter, not into the
# notebook; Python's own warnings and errors are still shown in the notebook.
c.IPKernelApp.capture_fd_output = False  # noqa: F821 - `c` is defined by IPython's config loader
