"""Data for training: a numeric CSV or arrays in, a :class:`Dataset` out; and mini-batches.

A :class:`Dataset` is a feature matrix ``X`` of shape ``(n_samples, n_features)`` and a target
vector ``y`` of shape ``(n_samples,)``, both float64, plus the column names. Every way of making
one checks the data and, when something is wrong, says exactly where: the file, the line
(1-based, as an editor shows it) and the column (1-based too, with its header name if any)::

    data.csv, line 4, column 2 (y): 'abc' is not a number

Mini-batches are lists of sample indices, drawn by :func:`batch_indices` from an explicit
``numpy.random.Generator`` -- never from numpy's global random state -- so a seed reproduces a run.

The package, one file per idea: :mod:`.dataset` (the Dataset, from arrays), :mod:`.csv` (reading
a file), :mod:`.batches` (which samples each update uses: :class:`Batching`), :mod:`.split` (a
seeded train/test split).
"""

from .batches import Batching, as_generator, batch_indices, check_batch_size
from .csv import Column, load_csv
from .dataset import DataError, Dataset, from_arrays, make_linear_data, make_logistic_data
from .source import memory_budget
from .split import train_test_split
from .stream import DEFAULT_CHUNK_ROWS, CSVStream

__all__ = [
    "DataError",
    "Dataset",
    "load_csv",
    "from_arrays",
    "make_linear_data",
    "make_logistic_data",
    "batch_indices",
    "Batching",
    "as_generator",
    "check_batch_size",
    "Column",
    "CSVStream",
    "DEFAULT_CHUNK_ROWS",
    "memory_budget",
    "train_test_split",
]
