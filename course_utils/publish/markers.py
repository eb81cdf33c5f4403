"""Names a render writes and marks it leaves in its pages: shared by the render and the book (site.py).

One small module with no imports of the package's own, so that either side reads them without importing
the other.
"""

LOCK_NAME = ".render.lock"
MANIFEST_NAME = ".render-manifest.json"  # the files renders made in the folder
JOBS_PREFIX = "render-jobs-"  # temporary folders of the workers' job files: render-jobs-<pid of the render>-*
BOOK_FILES = ("index.html", "status.html", "index.json", "search.html", "genindex.html", "searchindex.js",
              "objects.inv")  # fmt: skip - what a render writes at the top of the folder, besides the pages
BUILD_DIRS = ("_static", "_images", "_sources", "_sphinx_design_static")  # the book's folders (site.py)
STATUS_START, STATUS_END = "<!-- last-render -->", "<!-- /last-render -->"  # in the book's home page (site.py)
TABLE_START, TABLE_END = "<!-- status-table -->", "<!-- /status-table -->"  # the status table, in either page
BOOK_MARK = '"_static/'  # a page of the book loads its theme from _static/; the render's own status page does not
