"""Evaluation figures as plain-text tables, as the commands print them."""

from __future__ import annotations

from recognizer.ml.evaluation import Evaluation


def format_scores(scores: dict[str, Evaluation], detail: bool = False) -> str:
    """Scores as plain-text tables: one line per set, and with ``detail`` the
    per-class accuracy and the confusion matrix (rows: true digit) of each."""
    lines = [f"{'evaluation set':42} {'drawings':>8} {'accuracy':>9} {'calib. err':>10}"]
    for name, score in scores.items():
        lines.append(f"{name:42} {score.n:8d} {score.accuracy:9.2%} {score.ece:10.3f}")
    if not detail:
        return "\n".join(lines)
    header = "      " + "".join(f"{digit:>6}" for digit in range(10))
    for name, score in scores.items():
        lines += ["", f"{name}: {score.accuracy:.2%} of {score.n}"]
        lines.append(header)
        lines.append("right " + "".join(f"{value:6.0%}" for value in score.per_class))
        lines.append("true  predicted as")
        for digit, row in enumerate(score.confusion):
            lines.append(f"{digit:>4}  " + "".join(f"{count:6d}" for count in row))
        lines.append("confidence shown -> how often right:")
        for row in score.reliability:
            lines.append(
                f"  {row['low']:.1f}-{row['low'] + 0.1:.1f}: shown {row['confidence']:.2f}, "
                f"right {row['accuracy']:.2f} ({row['count']} drawings)"
            )
    return "\n".join(lines)
