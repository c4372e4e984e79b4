# nbgrader settings of the vaetutor course; scripts/make_assignments.py copies this file into
# the course directory it builds (build/course/ for `make assignments`).
c = get_config()  # noqa: F821 - provided by nbgrader when it reads the file

c.CourseDirectory.course_id = "vaetutor"

# What a student finds in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Autograding executes each notebook: 02 trains a small VAE (about 15 s on a 2-core CPU in the
# quick profile), so allow each cell minutes, not nbgrader's default 30 s.
c.Execute.timeout = 600
c.Execute.execute_retries = 0
