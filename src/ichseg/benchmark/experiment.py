"""An experiment file: datasets x networks x losses x trainers x folds, and how to judge them.

YAML (see ``configs/`` for the papers' tables)::

    name: kok_losses
    datasets:                 # name -> a dataset folder, or a synthetic set made on first use
      synth: {synth: {cases: 16, seed: 31, negatives: 0.2}}
    training: {recipe: nnunet, max_steps: 200, n_folds: 4}   # every cell (TrainingConfig fields)
    networks:                 # label -> settings of that network (over ``training``)
      nnunet_3d: {model: dynunet, configuration: 3d}
      nnunet_2d: {model: dynunet, configuration: 2d}
    losses: [dice_ce, tversky]          # or label -> {loss: NAME, loss_options: {...}}
    trainers: [supervised]
    folds: [0, 1]
    ensembles: {nnunet_2d+3d: [nnunet_2d, nnunet_3d]}     # mean probabilities, per loss/trainer
    evaluation: {regions: [any, IPH], nsd_tolerance_mm: 0.42}
    compare: {regions: [any], bootstrap: 1000}

Paths are relative to the file. A cell is one (dataset, network, loss, trainer, fold);
a *model* is a cell without its fold (its folds' evaluation cases are pooled).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..io import InputError
from ..train.config import TrainingConfig
from ..train.recipes import recipe_settings


@dataclass(frozen=True)
class Cell:
    """One training run of the table: where it lives and every setting it trains with."""

    dataset: str
    network: str
    loss: str
    trainer: str
    fold: int | str
    settings: dict = field(hash=False, compare=False)

    @property
    def model(self) -> str:
        """The label of the model this cell is a fold of."""
        return f"{self.network}__{self.loss}__{self.trainer}"

    @property
    def key(self) -> str:
        """Its folder below ``OUT/cells/`` and its Dask task name."""
        return f"{self.dataset}/{self.model}/fold_{self.fold}"


@dataclass(frozen=True)
class Ensemble:
    """The mean probabilities of member models' cells of one fold."""

    dataset: str
    name: str
    loss: str
    trainer: str
    fold: int | str
    members: tuple[str, ...]  # cell keys

    @property
    def model(self) -> str:
        return f"{self.name}__{self.loss}__{self.trainer}"

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.model}/fold_{self.fold}"


@dataclass
class Experiment:
    """A parsed experiment file."""

    name: str
    source: Path
    datasets: dict[str, Any]
    cells: list[Cell]
    ensembles: list[Ensemble]
    evaluation: dict
    compare: dict
    split: dict  # what the splits are made with: split scheme, n_folds, seed
    description: str = ""


def shipped_configs() -> list[str]:
    """Names of the experiment files that come with ichseg (``ichseg benchmark NAME``)."""
    folder = resources.files("ichseg.benchmark") / "configs"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def resolve_config(name_or_path: str | Path) -> Path:
    """A path to an experiment file, or the shipped one of that name."""
    path = Path(name_or_path)
    if path.exists():
        return path
    if str(name_or_path) in shipped_configs():
        return Path(str(resources.files("ichseg.benchmark") / "configs" / f"{name_or_path}.yaml"))
    raise InputError(path, f"no such experiment file, nor a shipped one ({', '.join(shipped_configs())})")


def _labelled(entries: Any, key: str, where: Path) -> dict[str, dict]:
    """``[a, b]`` or ``{label: {...}}`` -> ``{label: settings}`` (a bare name sets ``key``)."""
    if isinstance(entries, str):
        entries = [entries]
    if isinstance(entries, list):
        return {str(name): {key: str(name)} for name in entries}
    if isinstance(entries, dict):
        return {str(label): ({key: str(label)} | dict(value or {})) for label, value in entries.items()}
    raise InputError(where, f"'{key}s' must be a list of names or a mapping of label -> settings")


def _check_names(config: TrainingConfig) -> None:
    """Refuse an unregistered network, loss or trainer before any cell trains."""
    from ..losses import LOSSES  # noqa: PLC0415  (the registries import torch; parsing alone does not)
    from ..models import MODELS  # noqa: PLC0415
    from ..train.trainer import TRAINERS  # noqa: PLC0415

    MODELS.entry(config.model)
    LOSSES.entry(config.loss)
    TRAINERS.entry(config.trainer)


def _recipe(name: str | None, where: Path) -> dict:
    try:
        return recipe_settings(name) if name else {}
    except KeyError as error:
        raise InputError(where, error.args[0]) from None


def load_experiment(path: str | Path, *, datasets: dict[str, str] | None = None,
                    budget_steps: int | None = None) -> Experiment:
    """Parse an experiment file into its cells (``datasets``, name -> folder, replace the file's datasets;
    ``budget_steps`` sets every cell's ``max_steps``).

    Settings of a cell, later ones winning: the file's recipe, the network's recipe, the
    file's ``training``, the network's, the loss's and the trainer's settings.

    Raises:
        InputError: unreadable file, unknown setting, missing section.
    """
    path = resolve_config(path)
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InputError(path, f"cannot read the experiment file ({error})") from None
    if not isinstance(spec, dict):
        raise InputError(path, "an experiment file is a mapping (name, datasets, networks, ...)")
    known = {"name", "description", "datasets", "training", "networks", "losses", "trainers", "folds", "ensembles",
             "evaluation", "compare"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise InputError(path, f"unknown section(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    # datasets given on the command line replace the file's (its synthetic stand-in)
    chosen = ({name: str(Path(folder).resolve()) for name, folder in datasets.items()} if datasets
              else dict(spec.get("datasets") or {}))
    if not chosen:
        raise InputError(path, "no datasets: add a 'datasets' section or pass --dataset NAME=FOLDER")
    for name, value in chosen.items():
        if isinstance(value, str) and not Path(value).is_absolute():
            chosen[name] = str((path.parent / value).resolve())
    training = dict(spec.get("training") or {})
    recipe = _recipe(training.pop("recipe", None), path)
    base = recipe | training
    networks = _labelled(spec.get("networks") or [], "model", path)
    # without a losses section each network trains with its own (or its recipe's) loss
    losses = _labelled(spec["losses"], "loss", path) if spec.get("losses") else {"own": {}}
    trainers = _labelled(spec.get("trainers") or ["supervised"], "trainer", path)
    if not networks:
        raise InputError(path, "no networks to train")
    folds = spec.get("folds", [0])
    folds = folds if isinstance(folds, list) else [folds]
    cells = []
    for dataset, (network, n_set), (loss, l_set), (trainer, t_set), fold in itertools.product(
            chosen, networks.items(), losses.items(), trainers.items(), folds):
        # a network's recipe sits under the file's training settings, its own settings above them
        n_set = dict(n_set)
        settings = (recipe | _recipe(n_set.pop("recipe", None), path) | training | n_set | l_set | t_set
                    | {"fold": fold, "num_workers": 0})
        if budget_steps:
            settings["max_steps"] = int(budget_steps)
        try:
            _check_names(TrainingConfig().merged(settings))
        except (KeyError, ValueError) as error:
            raise InputError(path, f"cell {dataset}/{network}/{loss}/{trainer}: {error.args[0]}") from None
        cells.append(Cell(dataset, network, loss, trainer, fold, settings))
    ensembles = []
    for name, members in (spec.get("ensembles") or {}).items():
        missing = [m for m in members if m not in networks]
        if missing:
            raise InputError(path, f"ensemble {name}: {', '.join(missing)} not among the networks")
        for dataset, loss, trainer, fold in itertools.product(chosen, losses, trainers, folds):
            keys = tuple(f"{dataset}/{m}__{loss}__{trainer}/fold_{fold}" for m in members)
            ensembles.append(Ensemble(dataset, str(name), loss, trainer, fold, keys))
    defaults = TrainingConfig()
    split = {"split": base.get("split", defaults.split), "n_folds": base.get("n_folds", defaults.n_folds),
             "seed": base.get("seed", defaults.seed)}
    return Experiment(str(spec.get("name", path.stem)), path, chosen, cells, ensembles,
                      dict(spec.get("evaluation") or {}), dict(spec.get("compare") or {}), split,
                      str(spec.get("description", "")).strip())
