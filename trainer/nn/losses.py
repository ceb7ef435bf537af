"""Losses: `loss(prediction, target) -> scalar Tensor`, the mean over the batch.

A registry entry is a factory that takes the config block's options and returns the loss. Each
built-in loss says what targets it `expects`, which sets the model's output width:
  "values"  regression targets (N, outputs), prediction the same shape;
  "classes" integer labels (N,), prediction one logit per class (N, classes);
  "binary"  labels 0/1 (N,), prediction one logit (N, 1).
"""

import functools
from collections.abc import Sequence
from typing import Annotated

import mygrad as mg
import mygrad.nnet as nnet
from pydantic import Field

from trainer.contracts import Loss
from trainer.errors import UserError
from trainer.nn.ops import mean_squared_error, softmax_cross_entropy, softplus
from trainer.registry import Registry

LOSSES = Registry("loss", plain_functions_are_entries=True)


def same_shape(prediction, target, loss: str) -> None:
    """Refuse what NumPy would broadcast: (N, 1) against (N,) is (N, N), a silently wrong loss."""
    if prediction.shape != target.shape:
        raise UserError(
            f"loss {loss}: the prediction has shape {prediction.shape} but the target {target.shape}; "
            f"they must match (N rows, one column per output) or the difference broadcasts to a wrong shape."
        )


def one_logit(prediction, target, loss: str) -> None:
    if prediction.shape != (len(target), 1) or target.ndim != 1:
        raise UserError(
            f"loss {loss}: it needs one logit per row (N, 1) and labels 0/1 (N,), but got {prediction.shape} and {target.shape}."
        )


def logit_per_class(prediction, target, loss: str) -> None:
    if prediction.ndim != 2 or target.shape != prediction.shape[:1]:
        raise UserError(
            f"loss {loss}: it needs logits (N, classes) and integer labels (N,), but got {prediction.shape} and {target.shape}."
        )


SHAPE_CHECKS = {"values": same_shape, "binary": one_logit, "classes": logit_per_class}


def built_in(name: str, expects: str):
    """Register a loss factory under `name`; the loss it makes checks the shapes of its inputs first
    and carries `expects`."""

    def add(factory):
        @functools.wraps(factory)  # keeps the signature: it is the config block's schema
        def make(**options):
            compute = factory(**options)

            def loss(prediction, target):
                SHAPE_CHECKS[expects](prediction, target, name)
                return compute(prediction, target)

            loss.expects = expects  # type: ignore[attr-defined]  # a function's attribute (Loss.expects)
            return loss

        return LOSSES.register(name)(make)

    return add


@built_in("mse", expects="values")
def mse():
    """Mean squared error, averaged over the batch (and the outputs): mg.mean((prediction - target) ** 2),
    computed as one MyGrad operation (trainer/nn/ops.py)."""
    return mean_squared_error


@built_in("mae", expects="values")
def mae():
    """Mean absolute error, averaged over the batch (and the outputs)."""
    return lambda prediction, target: mg.mean(mg.abs(prediction - target))


@built_in("huber", expects="values")
def huber(delta: Annotated[float, Field(gt=0)] = 1.0):
    """Squared error r^2 / 2 for |r| <= delta, linear delta (|r| - delta / 2) beyond: robust to outliers."""

    def huber_loss(prediction, target):
        size = mg.abs(prediction - target)
        # constants in the prediction's dtype: MyGrad makes a Python float float64, and a float32 run stays float32
        half, limit = size.dtype.type(0.5), size.dtype.type(delta)
        quadratic = mg.minimum(size, limit)  # the part of |r| inside the quadratic zone
        return mg.mean(half * quadratic**2 + limit * (size - quadratic))

    return huber_loss


@built_in("bce", expects="binary")
def bce():
    """Binary cross-entropy on a logit z and a label y in {0, 1}: log(1 + e^z) - y z, the same as
    -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], but computed as softplus(z) - y z so that it
    and its gradient stay finite for any z (no log(0), no overflow when |z| is large)."""

    def binary_cross_entropy(prediction, target):
        logit = prediction[:, 0]
        labels = target.astype(logit.dtype)  # integer labels would promote a float32 loss to float64
        return mg.mean(softplus(logit) - labels * logit)

    return binary_cross_entropy


@built_in("cross_entropy", expects="classes")
def cross_entropy():
    """Softmax cross-entropy: -log softmax(logits)[label], averaged over the batch; the same as
    mygrad.nnet.softmax_crossentropy, computed as one lean MyGrad operation (trainer/nn/ops.py)."""
    return softmax_cross_entropy


@built_in("multiclass_hinge", expects="classes")
def multiclass_hinge(margin: Annotated[float, Field(gt=0)] = 1.0):
    """The multiclass SVM loss: sum over wrong classes j of max(0, margin + s_j - s_label), averaged over the batch (mygrad.nnet)."""
    return lambda prediction, target: nnet.multiclass_hinge(prediction, target, hinge=margin)


def regularized(loss_fn: Loss, weights: Sequence[mg.Tensor], l1: float, l2: float) -> Loss:
    """loss + l1 * sum|w| + l2 * sum w^2 over the given weight tensors (Keras's convention)."""
    if not (l1 or l2) or not weights:
        return loss_fn

    def penalized(prediction, target):
        total = loss_fn(prediction, target)
        for w in weights:
            if l1:
                total = total + l1 * mg.sum(mg.abs(w))
            if l2:
                total = total + l2 * mg.sum(w**2)
        return total

    penalized.expects = getattr(loss_fn, "expects", None)  # type: ignore[attr-defined]  # as above
    return penalized
