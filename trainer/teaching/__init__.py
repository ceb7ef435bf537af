"""Teaching tools: gradient descent on a function of x and y drawn on its contours (descent), the
gradient check against finite differences (gradcheck), and autograding a run (grading).

May import: trainer.runs and everything below it. Not trainer.sweeps or trainer.cli.
"""
