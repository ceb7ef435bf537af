"""Functions f(x, y) to run gradient descent on: built-ins by name (FUNCTIONS), or a formula.

A formula such as "x**2 + 3*y**2 - x*y" is parsed with `ast` and checked against a short list of
what may appear in it: numbers, x, y, pi, + - * / **, parentheses and the functions below. It is
evaluated by walking that tree with MyGrad operations, never by `eval`, so a config cannot run code.
The built-in functions are formulas too, so every picture can print the formula it shows.
"""

import ast
import difflib
import math
import operator
from dataclasses import dataclass, field
from typing import Annotated

import mygrad as mg
import numpy as np
from pydantic import Field

from trainer.registry import Registry

MATH_FUNCTIONS = {
    "sin": mg.sin,
    "cos": mg.cos,
    "exp": mg.exp,
    "log": mg.log,
    "sqrt": mg.sqrt,
    "abs": mg.abs,
    "tanh": mg.tanh,
}

CONSTANTS = {"pi": math.pi}

VARIABLES = ("x", "y")

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos}

_ALLOWED = "numbers, x, y, pi, + - * / ** (power), parentheses and the functions " + ", ".join(MATH_FUNCTIONS)

# What a user most likely meant by the syntax that is not allowed.
_NAMES_OF_SYNTAX = {
    ast.Attribute: "attribute access (a dot after a name)",
    ast.Subscript: "indexing with [ ]",
    ast.Compare: "a comparison",
    ast.BoolOp: "and / or",
    ast.IfExp: "if / else",
    ast.Lambda: "lambda",
    ast.Starred: "a * before an argument",
    ast.List: "a list [ ]",
    ast.Tuple: "a tuple (a comma)",
    ast.Dict: "a dict { }",
    ast.Set: "a set { }",
    ast.NamedExpr: "the := operator",
    ast.JoinedStr: "an f-string",
}

_OPERATOR_HINTS = {ast.BitXor: " (write x**2 for a power, not x^2)", ast.FloorDiv: " (use / to divide)"}


class FormulaError(ValueError):
    """A formula that cannot be read or uses something not on the list."""


MAX_LENGTH = 1000  # characters: a formula is a line, and parsing stays cheap


def parse_formula(text: str) -> ast.Expression:
    """The checked syntax tree of `text`, or FormulaError naming what is not allowed."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"it is {len(text)} characters long; a formula may have at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
        _check(tree)
    except SyntaxError as error:
        raise FormulaError(f"it is not a formula that can be read ({error.msg})") from None
    except RecursionError:
        raise FormulaError("it is nested too deeply to read") from None
    if not any(isinstance(node, ast.Name) and node.id in VARIABLES for node in ast.walk(tree)):
        raise FormulaError("it uses neither x nor y; descent needs a function of x and y")
    return tree


def _check(node: ast.AST) -> None:
    """Refuse anything not on the list, naming it; recurse into what is allowed."""

    def refuse(what, hint=""):
        return FormulaError(f"{what} is not allowed{hint}; a formula may use only {_ALLOWED}")

    match node:
        case ast.Expression(body=body):
            children = [body]
        case ast.Constant(value=value):
            if type(value) not in (int, float):  # not str, bool, complex, bytes, None, ...
                raise refuse(f"the value {value!r}")
            if type(value) is int and abs(value) > 2**1023:  # it could not become a float
                raise FormulaError(f"the number {str(value)[:12]}... is too large to compute with")
            children = []
        case ast.Name(id=name):
            if name in MATH_FUNCTIONS:
                raise FormulaError(f'the function "{name}" needs its argument in parentheses: {name}(x)')
            if name not in VARIABLES and name not in CONSTANTS:
                close = difflib.get_close_matches(
                    name, [*VARIABLES, *CONSTANTS, *MATH_FUNCTIONS], n=1, cutoff=0.6
                )
                raise refuse(f'the name "{name}"' + (f' (did you mean "{close[0]}"?)' if close else ""))
            children = []
        case ast.BinOp(op=op, left=left, right=right):
            if type(op) not in _BINARY:
                raise refuse(f"the operator {_symbol(op)}", _OPERATOR_HINTS.get(type(op), ""))
            children = [left, right]
        case ast.UnaryOp(op=op, operand=operand):
            if type(op) not in _UNARY:
                raise refuse(f"the operator {_symbol(op)}")
            children = [operand]
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords) if name in MATH_FUNCTIONS:
            if len(args) != 1 or keywords:
                raise FormulaError(f"{name}() takes exactly one argument, without a name, as in {name}(x)")
            children = args
        case ast.Call(func=ast.Name(id=name)):
            raise refuse(f'calling "{name}"')
        case ast.Call():
            raise refuse("this kind of call")
        case _:
            raise refuse(_NAMES_OF_SYNTAX.get(type(node), f"Python syntax of the kind {type(node).__name__}"))
    for child in children:
        _check(child)


def _symbol(op: ast.AST) -> str:
    symbols = {
        ast.Mod: "%",
        ast.FloorDiv: "//",
        ast.MatMult: "@",
        ast.BitXor: "^",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
    }
    return symbols.get(type(op), type(op).__name__)


def evaluate(node: ast.AST, x, y):
    """The value of a checked tree at (x, y): Tensors give a Tensor that backpropagates to them."""
    match node:
        case ast.Expression(body=body):
            return evaluate(body, x, y)
        case ast.Constant(value=value):
            return np.float64(
                value
            )  # IEEE arithmetic: 1/0 is inf and 9**9**9 overflows to inf, neither raises nor hangs
        case ast.Name(id="x"):
            return x
        case ast.Name(id="y"):
            return y
        case ast.Name(id=name):
            return CONSTANTS[name]
        case ast.UnaryOp(op=op, operand=operand):
            return _UNARY[type(op)](evaluate(operand, x, y))
        case ast.BinOp(left=left, op=op, right=right):
            return _BINARY[type(op)](evaluate(left, x, y), evaluate(right, x, y))
        case ast.Call(func=ast.Name(id=name), args=[argument]):
            return MATH_FUNCTIONS[name](evaluate(argument, x, y))
    raise AssertionError(f"unchecked node {ast.dump(node)}")  # parse_formula lets nothing else through


@dataclass(frozen=True)
class Surface:
    """f(x, y) given by a formula; `window` is the region worth drawing, `minima` the known minima."""

    formula: str
    window: tuple[tuple[float, float], tuple[float, float]] | None = None
    minima: tuple[tuple[float, float], ...] = ()
    tree: ast.Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "tree", parse_formula(self.formula))

    def __call__(self, x, y):
        return evaluate(self.tree, x, y)

    @property
    def uses_y(self) -> bool:
        """False for a function of x alone, drawn as a curve rather than as contour lines."""
        return any(isinstance(node, ast.Name) and node.id == "y" for node in ast.walk(self.tree))

    def grid(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """f on a grid of points, as a plain array (no graph), for contour plots."""
        with mg.no_autodiff, np.errstate(all="ignore"):
            return np.broadcast_to(mg.asarray(self(X, Y)), X.shape)


def _number(value: float) -> str:
    """A number as the formula should show it: 10 rather than 10.0, and exactly (repr) otherwise."""
    return repr(value).removesuffix(".0")


FUNCTIONS = Registry("function")

Positive = Annotated[float, Field(gt=0)]


@FUNCTIONS.register("paraboloid")
def paraboloid() -> Surface:
    """x**2 + y**2: round, one minimum at the origin; gradient (2x, 2y)."""
    return Surface("x**2 + y**2", window=((-5, 5), (-5, 5)), minima=((0, 0),))


@FUNCTIONS.register("bowl")
def bowl(a: Positive = 10.0) -> Surface:
    """x**2 + a*y**2: an elongated valley; a learning rate that suits y makes x slow (zigzag)."""
    return Surface(f"x**2 + {_number(a)}*y**2", window=((-5, 5), (-5, 5)), minima=((0, 0),))


@FUNCTIONS.register("rosenbrock")
def rosenbrock(a: float = 1.0, b: Positive = 100.0) -> Surface:
    """(a - x)**2 + b*(y - x**2)**2: a curved, flat-bottomed valley; the minimum (a, a**2) is slow to reach."""
    return Surface(
        f"({_number(a)} - x)**2 + {_number(b)}*(y - x**2)**2", window=((-2, 2), (-1, 3)), minima=((a, a * a),)
    )


@FUNCTIONS.register("himmelblau")
def himmelblau() -> Surface:
    """Four minima with f = 0: which one descent reaches depends on where it starts."""
    minima = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))
    return Surface("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", window=((-5, 5), (-5, 5)), minima=minima)


@FUNCTIONS.register("saddle")
def saddle() -> Surface:
    """x**2 - y**2: the gradient is zero at the origin, which is not a minimum; no minimum at all."""
    return Surface("x**2 - y**2", window=((-3, 3), (-3, 3)))


@FUNCTIONS.register("rastrigin")
def rastrigin(a: Positive = 10.0) -> Surface:
    """A bowl covered in bumps: many local minima around the global one at the origin."""
    a_text = _number(a)
    return Surface(
        f"{_number(2 * a)} + x**2 - {a_text}*cos(2*pi*x) + y**2 - {a_text}*cos(2*pi*y)",
        window=((-5.12, 5.12), (-5.12, 5.12)),
        minima=((0, 0),),
    )
