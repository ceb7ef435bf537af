"""Submissions to grade the shipped assignments with: the solution, the classic bugs (each a change
to the solution's text, with the score it should get and the diagnosis it should get) and hostile
code. Used by tests/test_assignments.py and tests/test_grading_a_class.py."""

from pathlib import Path

from tests.conftest import ASSIGNMENTS

# assignment -> [(submission, old text of the solution, new text, score, diagnosis in its feedback)]
BUGS = {
    "two_layer_net": [
        ("graph_cut_data", "mg.exp(z), axis=1", "mg.exp(z.data), axis=1", 6, "the graph is cut"),
        ("wrong_sign", "return -mg.mean(", "return mg.mean(", 5, "the sign is wrong"),
        ("sum_not_mean", "return -mg.mean(", "return -mg.sum(", 4, "a sum where the mean was meant"),
        (
            "no_max_subtraction",
            "z = logits - mg.max(logits, axis=1, keepdims=True)",
            "z = logits",
            7,
            "exp() overflows",
        ),
        (
            "bias_broadcasts",
            "self.b1 = mg.tensor(np.zeros(hidden))",
            "self.b1 = mg.tensor(np.zeros((hidden, 1)))",
            3,
            "a shape broadcasts",
        ),
        (
            "graph_cut_array",
            "return mg.maximum(x @ self.w1 + self.b1, 0) @ self.w2 + self.b2",
            "hidden = np.array(mg.maximum(x @ self.w1 + self.b1, 0))\n        return hidden @ self.w2 + self.b2",
            3,
            "no gradient reached w1",
        ),
        (
            "zero_init",
            "rng.normal(0, np.sqrt(2 / n_inputs), size=(n_inputs, hidden))",
            "np.zeros((n_inputs, hidden))",
            8,
            "parameter w1, b1, w2 never changed",
        ),
    ],
    "linear_regression": [
        (
            "broadcast_mse",
            "mg.mean((prediction - target) ** 2)",
            "mg.mean((prediction[:, 0] - target) ** 2)",
            5,
            "right on one row, wrong on several",
        ),
        ("wrong_sign", "return mg.mean(", "return -mg.mean(", 4, "the sign is wrong"),
        ("sum_not_mean", "return mg.mean(", "return mg.sum(", 4, "a sum where the mean was meant"),
        (
            "graph_cut_float",
            "return mg.mean((prediction - target) ** 2)",
            "return mg.tensor(float(mg.mean((prediction - target) ** 2)))",
            3,
            "the graph is cut",
        ),
        (
            "bias_broadcasts",
            "self.b = mg.tensor(np.zeros(n_outputs))",
            "self.b = mg.tensor(np.zeros((n_outputs, 1)))",
            7,
            "a shape broadcasts",
        ),
        ("frozen_bias", "return x @ self.w + self.b", "return x @ self.w + self.b * 0", 5, "never changed"),
    ],
    "logistic_regression": [
        (
            "mse_on_sigmoid",
            "mg.mean(mg.logaddexp(0, z) - labels * z)",
            "mg.mean((1 / (1 + mg.exp(-z)) - labels) ** 2)",
            7,
            "it computes something else",
        ),
        (
            "log_of_sigmoid",
            "mg.mean(mg.logaddexp(0, z) - labels * z)",
            "-mg.mean(labels * mg.log(1 / (1 + mg.exp(-z))) + (1 - labels) * mg.log(1 - 1 / (1 + mg.exp(-z))))",
            7,
            "log() meets 0",
        ),
        ("broadcast", "z = logits[:, 0]", "z = logits", 4, "right on one row, wrong on several"),
        ("graph_cut_data", "- labels * z)", "- labels * z.data)", 3, "the graph is cut"),
        ("sum_not_mean", "return mg.mean(", "return mg.sum(", 7, "a sum where the mean was meant"),
        ("wrong_sign", "return mg.mean(", "return -mg.mean(", 4, "the sign is wrong"),
    ],
}

# submissions that attack the grader: (submission, code, diagnosis in the feedback of every check)
HOSTILE = [
    ("hangs", "while True:\n    pass\n", "time limit"),
    ("memory_hog", "hog = []\nwhile True:\n    hog.append(bytearray(10**7))\n", "memory"),
    ("exits", "import sys\nsys.exit(0)\n", "sys.exit(0)"),
    ("os_exit", "import os\nos._exit(0)\n", "os._exit()"),
    ("raises_at_import", "import numpy as np\nnp.undefined_function()\n", "line 2: AttributeError"),
]


def solution(assignment: str) -> tuple[str, str]:
    """(the file's name, the solution's text)."""
    [path] = (ASSIGNMENTS / assignment / "solution").glob("*.py")
    return path.name, path.read_text()


def write_submissions(assignment: str, folder: Path, hostile: bool = False) -> None:
    """FOLDER/<submission>/<file>: the solution, every bug, and (when asked) the hostile ones."""
    name, text = solution(assignment)
    (folder / "solution").mkdir(parents=True)
    (folder / "solution" / name).write_text(text)
    for submission, old, new, *_ in BUGS[assignment]:
        assert old in text, (assignment, submission)
        (folder / submission).mkdir()
        (folder / submission / name).write_text(text.replace(old, new))
    for submission, code, _ in HOSTILE if hostile else []:
        (folder / submission).mkdir()
        (folder / submission / name).write_text(code + text)
