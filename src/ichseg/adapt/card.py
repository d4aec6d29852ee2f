"""The model card of an adapted bundle: where it came from, what it learnt from, how its
predictions on the site's scans moved, and what was checked before it was written."""

from __future__ import annotations


def model_card(name: str, record: dict) -> str:
    """Markdown card of an adaptation record (what :func:`~ichseg.adapt.adapt_bundle` returns).

    Example:
        >>> record = {"source": {"name": "ich_default", "sha256": "ab" * 32}, "trainer": "mean_teacher",
        ...           "steps": 10, "lr": 0.0002, "batch_size": 8, "seed": 0,
        ...           "scans": {"folder": "site", "used": 3, "skipped": [], "compared": 3},
        ...           "anchor": {"what": "4 synthetic heads", "dice_any_before": 0.8, "dice_any_after": 0.79,
        ...                      "drop": 0.01, "max_drop": 0.05},
        ...           "predictions": {"scans": 3, "volume_ml": {"any": {"before": 2.0, "after": 2.5,
        ...                           "mean_shift": 0.5}}, "changed_voxel_share": 0.001,
        ...                           "changed_blood_voxel_share": 0.2}}
        >>> "| any | 2.00 | 2.50 | +0.50 |" in model_card("site", record)
        True
    """
    anchor, scans, changes = record["anchor"], record["scans"], record["predictions"]
    lines = [
        f"# {name}: adapted to a site's scans", "",
        f"Fine-tuned from **{record['source']['name']}** (weights sha256 {record['source']['sha256'][:16]}...) "
        f"by `ichseg adapt` with the `{record['trainer']}` trainer: {record['steps']} steps, learning rate "
        f"{record['lr']:g}, batch {record['batch_size']}, seed {record['seed']}.", "",
        "## What it learnt from", "",
        f"- **{scans['used']} unlabelled scan(s)** from `{scans['folder']}` (no labels: the trainer's "
        "consistency or pseudo-label term)" + (f"; {len(scans['skipped'])} unreadable, skipped" if scans['skipped']
                                               else "") + ".",
        f"- **Anchor** (labelled, in every batch): {anchor['what']}.", "",
        "## Checked before it was written", "",
        f"Mean Dice(any) on the held-out anchor cases: {anchor['dice_any_before']:.3f} before, "
        f"{anchor['dice_any_after']:.3f} after (a fall of {anchor['drop']:+.3f}; at most {anchor['max_drop']:g} "
        "is accepted, or no bundle is written).", "",
        f"## How its predictions on {changes['scans']} of the site's scans changed", "",
        "| type | mean volume before (mL) | after (mL) | mean shift per scan (mL) |", "|---|---|---|---|"]
    for kind, volume in changes["volume_ml"].items():
        lines.append(f"| {kind} | {volume['before']:.2f} | {volume['after']:.2f} | {volume['mean_shift']:+.2f} |")
    lines += ["", f"Voxels whose label changed: {changes['changed_voxel_share']:.3%} of all voxels, "
                  f"{changes['changed_blood_voxel_share']:.1%} of those either model called blood.", "",
              "## Limits", "",
              "- No labelled scan of the site was used: the change above is not an accuracy. Check the previews of "
              "a few scans (`ichseg predict --model THIS_FOLDER`) against the source model's before relying on it.",
              "- The source model's volume-interval calibration (`uncertainty.json`) does not carry over; "
              "`predict --uncertainty` intervals of this bundle are uncalibrated.", ""]
    return "\n".join(lines)
