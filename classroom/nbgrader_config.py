"""nbgrader's settings for this course: run every nbgrader command from this folder (classroom/).

nbgrader reads this file from the folder it runs in. All paths are relative to this file, so the
course works wherever the repository is cloned.
"""
from pathlib import Path

COURSE = Path(__file__).resolve().parent

c = get_config()  # noqa: F821 (nbgrader provides get_config when it reads this file)

# The course: its id names it in the exchange and in formgrader; source/, release/, submitted/,
# autograded/ and feedback/ all lie in this folder.
c.CourseDirectory.course_id = 'd2l-softmax'
c.CourseDirectory.root = str(COURSE)

# The gradebook: one SQLite file in this folder (ignored by git). It holds the assignments, the
# students, and every grade and comment; back it up with the submissions.
c.CourseDirectory.db_url = f'sqlite:///{COURSE / "gradebook.db"}'

# Autograding runs each submission from top to bottom in a fresh kernel. nbgrader's default limit is
# 30 seconds per cell; the homework's sweeps take longer on a slow or busy computer.
c.Execute.timeout = 600

# The exchange is the folder through which `nbgrader release_assignment`, `fetch_assignment`, `submit`
# and `collect` pass notebooks between instructor and students on ONE shared machine, typically a
# JupyterHub: it must be a folder that every user can read and write (create it with
# `mkdir -p /srv/nbgrader/exchange && chmod ugo+rwx /srv/nbgrader/exchange`). It is not used at all
# when the release folder is handed out by other means (a learning-management system, e-mail, a shared
# drive) and submissions come back as files for `nbgrader zip_collect`. With several courses on one
# hub, each course gets its own subfolder because the path includes the course id.
c.Exchange.root = '/srv/nbgrader/exchange'
c.Exchange.path_includes_course = True

# Without the exchange, collect the submitted notebooks as files named STUDENT_NOTEBOOK, for example
# s017_lab.ipynb, into downloaded/lab/archive/ (zip files of them too), then run
# `nbgrader zip_collect lab`: it files each one as submitted/s017/lab/lab.ipynb. A student id may
# contain underscores; the notebook's name (lab.ipynb, homework.ipynb) may not.
c.FileNameCollectorPlugin.named_regexp = r'.*/(?P<student_id>[^/]+)_(?P<file_id>[^/_]+\.ipynb)$'
