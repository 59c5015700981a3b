"""How often a pipeline refuses drawings as no digit: non-digits (it should), digits (not)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
from sklearn.pipeline import Pipeline

from recognizer.ml import nondigits
from recognizer.ml.evaluation import canvas_png

Decoder = Callable[[bytes], np.ndarray]
NON_DIGITS = "synthetic non-digits"


def refused(pipeline: Pipeline, images: Sequence[np.ndarray]) -> np.ndarray:
    """Return True for each ink image the pipeline refuses as no digit (all False for a
    pipeline without a refusal step)."""
    refusal = pipeline.named_steps.get("refusal")
    if refusal is None or not len(images):
        return np.zeros(len(images), dtype=bool)
    return refusal.refuse(pipeline[:1].transform(list(images)))


def non_digit_set(decode: Decoder, per_kind: int) -> tuple[list[np.ndarray], list[str]]:
    """Return the evaluation's non-digits (never trained on: a seed of their own), each
    exported as a transparent canvas PNG and decoded by ``decode``, and their kinds."""
    pngs, kinds = non_digit_pngs(per_kind)
    return [decode(png) for png in pngs], list(kinds)


@cache
def non_digit_pngs(per_kind: int) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    """The evaluation's non-digits as transparent canvas PNGs, and their kinds; rendered
    once per process."""
    images, kinds = nondigits.non_digits(per_kind, nondigits.EVALUATION_SEED)
    return tuple(canvas_png(image, "transparent") for image in images), tuple(kinds)


def refusal_rates(
    pipeline: Pipeline,
    non_digits: tuple[list[np.ndarray], list[str]],
    digit_sets: dict[str, Sequence[np.ndarray]],
) -> dict[str, dict]:
    """Return, by set, how many drawings it holds and the share refused: the non-digits
    in all and by kind, then each set of digits."""
    images, kinds = non_digits
    kinds = np.asarray(kinds)
    out = refused(pipeline, images)
    rates = {NON_DIGITS: {"samples": len(out), "refused": float(out.mean())}}
    for kind in dict.fromkeys(kinds):
        chosen = out[kinds == kind]
        rates[f"{NON_DIGITS}: {kind}"] = {"samples": len(chosen), "refused": float(chosen.mean())}
    for name, digits in digit_sets.items():
        rates[name] = {"samples": len(digits), "refused": float(refused(pipeline, digits).mean())}
    return rates


def format_rates(rates: dict[str, dict]) -> str:
    """Return the refusal rates as a plain-text table."""
    lines = [f"{'refused as not a digit':42} {'drawings':>8} {'refused':>9}"]
    for name, rate in rates.items():
        lines.append(f"{name:42} {rate['samples']:8d} {rate['refused']:9.1%}")
    return "\n".join(lines)
