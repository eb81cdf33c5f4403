"""The instructor's tooling, out of the students' way: grading with nbgrader (`grading`)."""
