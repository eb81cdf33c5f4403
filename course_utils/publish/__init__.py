"""The instructor's and maintainer's tooling, out of the students' way. Notebooks never import it.

- `render`: the CLI's render (papermill, parameters checked up front, the output folder guarded); it runs each
  notebook in a `_worker` process, which uses `execute` (run one notebook, export its page) and never imports
  `render`.
- `site`: the book (Sphinx + myst-nb) built from the executed notebooks; it shares only `markers` with
  `render`.
- `nbtools`: strip, record and the student edition; `grading`: nbgrader's pipeline (hidden tests, release,
  grading rounds); `colab`: the install cell; `path`: the learning-path check of the notebooks' metadata.
"""
