"""Reference implementations of the graded steps, for instructors, benchmarks and self-learners.

``models`` (every architecture), ``noise`` (Gaussian noise), ``reveal`` (print a worked solution) and ``demo`` (a terminal tour of assignment 1). This
package is the instructor's side: ``python -m autograder bundle`` never copies it to students.
"""
