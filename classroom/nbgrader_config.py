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
# `mkdir -p /srv/nbgrader/exchange && chmod ugo+rwx /srv/nbgrader/exchange`; with one container per
# student, a volume mounted at this path in every container). Each course has its own subfolder,
# <root>/<course_id>/ (outbound, inbound, feedback), so several courses can share it. Students need the
# same root and the course id in a nbgrader_config.py of their own (README, "A shared JupyterHub"). It is
# not used at all when the release folder is handed out by other means (a learning-management system,
# e-mail, a shared drive) and submissions come back as files for `nbgrader zip_collect`.
c.Exchange.root = '/srv/nbgrader/exchange'

# Without the exchange, `nbgrader zip_collect lab` files what lies in downloaded/lab/archive/ (zip files
# are unpacked first) under submitted/STUDENT/lab/. Each student hands in either the notebook alone,
# named STUDENT_NOTEBOOK (s017_lab.ipynb, loose or in a zip file of any name), or one zip file named
# STUDENT_ASSIGNMENT.zip (s017_lab.zip) that holds the notebook and the folders of saved runs, at its
# top level or in the assignment's folder (lab/lab.ipynb, lab/lab-runs/results.csv). A student id may
# contain underscores; a file or folder name inside the assignment may not. Files of other types, and
# hidden ones (.ipynb_checkpoints, __MACOSX), are skipped.
c.FileNameCollectorPlugin.named_regexp = (
    r'.*/(?P<student_id>[A-Za-z0-9][^/]*?)_'  # the student's id, up to the underscore before ...
    r'(?:(?P<folder>[^/_.]+)/(?:(?P=folder)/)?)?'  # ... the zip file's name (s017_lab/), and lab/ in it
    r'(?P<file_id>[^_]+)$')  # the file within the assignment: lab.ipynb, lab-runs/results.csv
c.FileNameCollectorPlugin.valid_ext = ['.ipynb', '.csv', '.json', '.png']
