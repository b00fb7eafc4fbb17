"""Fidelity: do synthetic ECGs measure, look and sound (spectrally) like the real ones?

:func:`fidelity` gathers, for two comparable ECGBatch sets (same fs, leads, length):

- the measurement table: every global measurement and per-lead amplitude of
  :func:`synthecg.measure.measure`, real and synthetic mean ± SD, standardised mean difference,
  KS statistic and 1-D Wasserstein distance, flagged where |SMD| > 0.2; the share of ECGs
  whose quality is not "ok"; QT against RR (scatter kept, least-squares slope);
- physiological plausibility: shares inside stated ranges, without flat or clipped leads, and
  (12-lead input) obeying the limb-lead identities;
- the clinical and random-network embeddings (:mod:`.embeddings`) compared with Fréchet
  distance, MMD² and precision / recall / density / coverage on equal-size subsamples;
- a classifier two-sample test on the clinical embedding (:mod:`.c2st`);
- per-lead Welch PSD distance (:mod:`.spectra`).

Measurements of large sets are the caller's to cache and pass in; the embeddings work on
seeded subsamples of at most ``max_embedded`` ECGs per set, so their cost does not grow with
the synthetic set.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._seeding import rng_for
from ..ecg import ECGBatch
from ..errors import SynthECGError
from ..leads import DERIVED_LIMB, INDEPENDENT_8, limb_leads_from_i_ii
from ._jsonable import jsonable
from .c2st import c2st
from .distances import compare_1d, frechet_distance, mmd2_rbf, prdc
from .embeddings import (ClinicalEmbedding, independent_beats, random_network_features,
                         standardise, wrap_axes)
from .spectra import psd_distance

GLOBAL_MEASUREMENTS = ("heart_rate", "rr_interval", "pr_interval", "qrs_duration", "qt_interval",
                       "qtc_bazett", "qtc_fridericia", "p_axis", "qrs_axis", "t_axis")
SMD_FLAG = 0.2  # |SMD| above this is a "small" effect in Cohen's terms: worth a reader's look
# Physiological ranges (inclusive); an unmeasurable value (NaN) counts as outside.
RANGES = {"heart_rate": (30.0, 220.0), "pr_interval": (80.0, 320.0),
          "qrs_duration": (50.0, 200.0), "qtc_bazett": (300.0, 600.0)}
FLAT_MV = 0.02  # a lead whose robust peak-to-peak (0.5-99.5 %) is below 20 µV is flat
CLIP_SHARE = 0.01  # a lead at its own extreme value for >= 1 % of the samples is clipped
LIMB_TOLERANCE_UV = 10.0  # RMS residual allowed: 10 µV + 5 % of the lead's RMS
LIMB_TOLERANCE_SHARE = 0.05
MAX_EMBEDDED = 1000  # ECGs per set in the embedding metrics and the C2ST
MIN_ECGS = 6  # the k = 5 neighbourhoods need 6 ECGs per set
PRDC_K = 5
N_PERMUTATIONS = 200


@dataclass
class FidelityResult:
    """Everything :func:`fidelity` measured, and what the report needs to draw it.

    ``table``: one row per measurement (``measurement``, ``kind`` "global" or "amplitude",
    real/synthetic mean and SD, ``smd``, ``ks``, ``wasserstein``, counts, ``flag``).
    ``plausibility``: one row per criterion with the share of real and synthetic ECGs passing.
    ``quality``: share of ECGs with quality != "ok" per set. ``qt_rr``: slope, intercept and n
    per set; ``qt_rr_scatter``: (rr, qt) arrays per set in ms. ``embeddings``: per embedding
    its metrics; ``sizes``: the subsample sizes and seed used. ``c2st``, ``psd``: see their
    modules. ``real_measurements`` / ``synthetic_measurements``: the measure() DataFrames used.
    ``real_median_beats`` / ``synthetic_median_beats``: (m, 8, window) mV median beats of the
    embedded subsamples (``real_indices`` / ``synthetic_indices`` into the input batches).
    ``flags``: reasons a reader should look (measurements with |SMD| > 0.2).
    """

    table: pd.DataFrame
    plausibility: pd.DataFrame
    quality: dict
    qt_rr: dict
    qt_rr_scatter: dict
    embeddings: dict
    sizes: dict
    c2st: dict
    psd: dict
    flags: list
    notes: list
    real_measurements: pd.DataFrame = field(repr=False)
    synthetic_measurements: pd.DataFrame = field(repr=False)
    real_median_beats: np.ndarray = field(repr=False)
    synthetic_median_beats: np.ndarray = field(repr=False)
    real_indices: np.ndarray = field(repr=False)
    synthetic_indices: np.ndarray = field(repr=False)
    median_beat_leads: tuple = INDEPENDENT_8
    fs: float = 500.0

    def to_dict(self) -> dict:
        """JSON-safe summary: every number of the result (NaN -> None); DataFrames of
        measurements and the median beats are left out (the report keeps them as files)."""
        return jsonable({
            "table": self.table, "plausibility": self.plausibility, "quality": self.quality,
            "qt_rr": self.qt_rr, "qt_rr_scatter": self.qt_rr_scatter,
            "embeddings": self.embeddings, "sizes": self.sizes, "c2st": self.c2st,
            "psd": self.psd, "flags": self.flags, "notes": self.notes,
            "thresholds": {"smd_flag": SMD_FLAG, "ranges": RANGES, "flat_mv": FLAT_MV,
                           "clip_share": CLIP_SHARE, "limb_tolerance_uv": LIMB_TOLERANCE_UV,
                           "limb_tolerance_share": LIMB_TOLERANCE_SHARE, "prdc_k": PRDC_K},
        })


def single_threaded(fn):
    """Run ``fn`` with BLAS and OpenMP pools at one thread.

    The matrices here are small (a few hundred rows), and on a busy machine the pools' spinning
    threads cost far more than they give: a 300 x 300 ``eigh`` took 3.6 s with OpenBLAS's 2
    threads at load 13 on 2 cores and 0.07 s with one. The caller can still run stages in
    parallel processes.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


@single_threaded
def fidelity(real: ECGBatch, synthetic: ECGBatch, *, real_measurements=None,
             synthetic_measurements=None, seed: int = 0, max_embedded: int = MAX_EMBEDDED,
             real_median_beats=None, synthetic_median_beats=None) -> FidelityResult:
    """Compare a synthetic set with a real one (see the module docstring for what is measured).

    Parameters
    ----------
    real, synthetic : comparable ECGBatch objects (same fs, leads in the same order, same
        length; µV or mV), with at least I, II and V1-V6 and at least 6 ECGs each.
    real_measurements, synthetic_measurements : ``synthecg.measure.measure`` DataFrames of
        the same ECGs in the same order; computed here when not given.
    seed : subsampling, permutations, bootstrap and the random network.
    max_embedded : at most this many ECGs per set enter the embedding metrics and the C2ST
        (both sets subsampled to the same size ``min(n_real, n_synthetic, max_embedded)``).
    real_median_beats, synthetic_median_beats : optional cached median beats of the whole
        sets, ``synthecg.measure.median_beats(batch.select(INDEPENDENT_8))[0]`` (n, 8,
        window) mV; only the subsampled rows are used. Computed here (for the subsamples
        only) when not given.
    """
    check_pair(real, synthetic)
    real_measurements = measurements_for(real, real_measurements, "real_measurements")
    synthetic_measurements = measurements_for(synthetic, synthetic_measurements,
                                           "synthetic_measurements")
    notes = []
    table = measurement_table(real_measurements, synthetic_measurements)
    flags = [f"|SMD| > {SMD_FLAG}: {name}" for name in table.loc[table["flag"], "measurement"]]

    quality = {name: {"n": int(len(m)), "not_ok_fraction": float((m["quality"] != "ok").mean())}
               for name, m in (("real", real_measurements), ("synthetic", synthetic_measurements))}
    qt_rr, scatter = {}, {}
    for name, m in (("real", real_measurements), ("synthetic", synthetic_measurements)):
        qt_rr[name], scatter[name] = qt_rr_regression(m)

    plaus_real, note = plausibility(real, real_measurements)
    plaus_syn, _ = plausibility(synthetic, synthetic_measurements)
    if note:
        notes.append(note)
    plaus = pd.DataFrame({"criterion": list(plaus_real), "real": list(plaus_real.values()),
                          "synthetic": [plaus_syn[k] for k in plaus_real]})

    # Equal-size seeded subsamples for every multivariate metric.
    m = int(min(len(real), len(synthetic), max_embedded))
    real_idx = seeded_subsample(len(real), m, seed, 10)
    syn_idx = seeded_subsample(len(synthetic), m, seed, 11)
    real_sub, syn_sub = real[real_idx], synthetic[syn_idx]
    real_beats = _beats(real_sub, real_median_beats, real_idx, len(real), "real_median_beats")
    syn_beats = _beats(syn_sub, synthetic_median_beats, syn_idx, len(synthetic),
                       "synthetic_median_beats")
    real_m_sub = real_measurements.iloc[real_idx].reset_index(drop=True)
    syn_m_sub = synthetic_measurements.iloc[syn_idx].reset_index(drop=True)

    clinical = ClinicalEmbedding.fit(pd.concat([real_m_sub, syn_m_sub], ignore_index=True),
                                     np.concatenate([real_beats, syn_beats]))
    z_real = clinical.transform(real_m_sub, real_beats)
    z_syn = clinical.transform(syn_m_sub, syn_beats)
    r_real, r_syn = standardise(random_network_features(real_sub, seed),
                                random_network_features(syn_sub, seed))
    embeddings = {"clinical": embedding_metrics(z_real, z_syn, seed),
                  "random_network": embedding_metrics(r_real, r_syn, seed)}
    embeddings["clinical"]["features"] = list(clinical.feature_names)
    c2st_result = c2st(clinical.transform(real_m_sub, real_beats, impute=False),
                       clinical.transform(syn_m_sub, syn_beats, impute=False),
                       clinical.feature_names, seed=seed)
    sizes = {"n_real": int(len(real)), "n_synthetic": int(len(synthetic)),
             "n_embedded_per_set": m, "seed": int(seed), "max_embedded": int(max_embedded)}
    if m < len(real) or m < len(synthetic):
        notes.append(f"embedding metrics and C2ST use seeded subsamples of {m} ECGs per set "
                     f"(of {len(real)} real and {len(synthetic)} synthetic)")
    return FidelityResult(
        table=table, plausibility=plaus, quality=quality, qt_rr=qt_rr, qt_rr_scatter=scatter,
        embeddings=embeddings, sizes=sizes, c2st=c2st_result,
        psd=psd_distance(real, synthetic, seed=seed), flags=flags, notes=notes,
        real_measurements=real_measurements, synthetic_measurements=synthetic_measurements,
        real_median_beats=real_beats, synthetic_median_beats=syn_beats,
        real_indices=real_idx, synthetic_indices=syn_idx, fs=real.fs)


# --- pieces (public: tests and the report use them one by one) -------------------------------

def check_pair(real: ECGBatch, synthetic: ECGBatch, minimum: int = MIN_ECGS) -> None:
    """Refuse sets the input stage should have made comparable, or that are too small."""
    for name, batch in (("real", real), ("synthetic", synthetic)):
        if not isinstance(batch, ECGBatch):
            raise SynthECGError(f"{name}: expected an ECGBatch, got {type(batch).__name__}")
        if len(batch) < minimum:
            raise SynthECGError(f"{name}: {len(batch)} ECGs; the metrics need at least {minimum}")
        missing = [lead for lead in INDEPENDENT_8 if lead not in batch.leads]
        if missing:
            raise SynthECGError(f"{name}: leads {', '.join(missing)} missing (need I, II, V1-V6)")
    if (real.fs, real.leads, real.n_samples) != (synthetic.fs, synthetic.leads, synthetic.n_samples):
        raise SynthECGError(
            f"synthetic: not comparable with real ({synthetic.fs:g} vs {real.fs:g} Hz, "
            f"{synthetic.n_samples} vs {real.n_samples} samples, leads {list(synthetic.leads)} "
            f"vs {list(real.leads)}); resample and select leads first")


def measurements_for(batch: ECGBatch, given, name: str) -> pd.DataFrame:
    """``given`` (cached measure() rows of ``batch``, checked) or ``measure(batch)``."""
    if given is None:
        from ..measure import measure

        return measure(batch)
    if not isinstance(given, pd.DataFrame) or len(given) != len(batch):
        size = len(given) if hasattr(given, "__len__") else "?"
        raise SynthECGError(f"{name}: expected a measure() DataFrame with {len(batch)} rows, got {size}")
    missing = [c for c in GLOBAL_MEASUREMENTS + ("quality",) if c not in given.columns]
    if missing:
        raise SynthECGError(f"{name}: columns {', '.join(missing[:4])} missing "
                            "(expected a synthecg.measure.measure DataFrame)")
    return given.reset_index(drop=True)


def _beats(subsample: ECGBatch, given, index: np.ndarray, n: int, name: str) -> np.ndarray:
    if given is None:
        return independent_beats(subsample)
    given = np.asarray(given)
    if given.ndim != 3 or len(given) != n or given.shape[1] != len(INDEPENDENT_8):
        raise SynthECGError(f"{name}: expected median beats of shape ({n}, 8, window), "
                            f"got {given.shape}")
    return given[index].astype(np.float32)


def seeded_subsample(n: int, m: int, seed: int, stream: int) -> np.ndarray:
    """Sorted indices of ``m`` of ``n`` items drawn by ``rng_for(seed, stream)`` (all if m >= n)."""
    if m >= n:
        return np.arange(n)
    return np.sort(rng_for(seed, stream).choice(n, m, replace=False))


def measurement_columns(measurements: pd.DataFrame) -> list[tuple[str, str]]:
    """(column, kind) for every global measurement and per-lead amplitude / ST column."""
    out = [(c, "global") for c in GLOBAL_MEASUREMENTS if c in measurements.columns]
    out += [(c, "amplitude") for c in measurements.columns
            if "_amplitude_" in c or c.startswith("st_level_")]
    return out


def paired_measurements(real: pd.DataFrame, synthetic: pd.DataFrame):
    """Yield (column, kind, real values, synthetic values) as float64 arrays for every column of
    :func:`measurement_columns`, axes wrapped to [-90, 270) degrees so they compare as angles."""
    for column, kind in measurement_columns(real):
        r = real[column].to_numpy(dtype=np.float64)
        s = synthetic[column].to_numpy(dtype=np.float64)
        if column.endswith("_axis"):
            r, s = wrap_axes(r), wrap_axes(s)
        yield column, kind, r, s


def measurement_table(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """The measurement table (axes wrapped to [-90, 270) degrees before comparing)."""
    rows = [{"measurement": column, "kind": kind, **compare_1d(r, s)}
            for column, kind, r, s in paired_measurements(real, synthetic)]
    table = pd.DataFrame(rows)
    table["flag"] = np.abs(table["smd"].to_numpy(dtype=np.float64)) > SMD_FLAG
    return table


def qt_rr_regression(measurements: pd.DataFrame) -> tuple[dict, dict]:
    """Least-squares QT = intercept + slope * RR (both ms) over ECGs with both measured;
    returns ``({"slope", "intercept", "n"}, {"rr_ms": array, "qt_ms": array})``."""
    rr = measurements["rr_interval"].to_numpy(dtype=np.float64)
    qt = measurements["qt_interval"].to_numpy(dtype=np.float64)
    ok = np.isfinite(rr) & np.isfinite(qt)
    fit = {"slope": np.nan, "intercept": np.nan, "n": int(ok.sum())}
    if ok.sum() >= 3 and np.ptp(rr[ok]) > 0:
        slope, intercept = np.polyfit(rr[ok], qt[ok], 1)
        fit.update(slope=float(slope), intercept=float(intercept))
    return fit, {"rr_ms": rr[ok], "qt_ms": qt[ok]}


def plausibility(batch: ECGBatch, measurements: pd.DataFrame, chunk: int = 256
                 ) -> tuple[dict, str | None]:
    """Share of ECGs passing each physiological check, and a note when one cannot apply.

    Checks: heart rate, PR, QRS and QTc (Bazett) inside :data:`RANGES` (NaN fails); no flat
    lead (robust peak-to-peak < 20 µV); no clipped lead (>= 1 % of samples at the lead's own
    maximum or minimum); limb-lead identities III = II - I, aVR = -(I + II)/2,
    aVL = I - II/2, aVF = II - I/2 (RMS residual <= 10 µV + 5 % of the lead's RMS) when the
    batch has all six limb leads, else None (8-lead sets obey them by construction once the
    limb leads are derived). ``all`` is the share passing every applicable check.
    """
    passed = {}
    for name, (lo, hi) in RANGES.items():
        v = measurements[name].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            passed[f"{name}_in_range"] = (v >= lo) & (v <= hi)
    flat, clipped, limb = signal_checks(batch, chunk)
    passed["no_flat_lead"] = ~flat
    passed["no_clipped_lead"] = ~clipped
    note = None
    if limb is None:
        note = ("limb-lead identities: 8-lead input, III/aVR/aVL/aVF are derived from I and II "
                "and satisfy the identities by construction")
    else:
        passed["limb_identities"] = limb
    every = np.logical_and.reduce(list(passed.values()))
    shares = {k: float(v.mean()) for k, v in passed.items()}
    if limb is None:
        shares["limb_identities"] = None
    shares["all"] = float(every.mean())
    return shares, note


def signal_checks(batch: ECGBatch, chunk: int = 256):
    """Per ECG: any flat lead, any clipped lead, limb identities hold (None without 12 leads).
    Works chunk by chunk so a large integer batch is never copied to float64 at once."""
    n = len(batch)
    flat, clipped = np.zeros(n, bool), np.zeros(n, bool)
    has_limb = all(lead in batch.leads for lead in ("I", "II") + DERIVED_LIMB)
    limb = np.ones(n, bool) if has_limb else None
    scale = 1.0 if batch.units == "mV" else 1e-3
    index = {lead: i for i, lead in enumerate(batch.leads)}
    def check(start):
        x = batch.signals[start:start + chunk].astype(np.float32) * np.float32(scale)
        stop = start + len(x)
        finite = np.isfinite(x)
        xz = np.where(finite, x, 0.0)
        lo_hi = np.percentile(xz[..., ::4], [0.5, 99.5], axis=-1)
        flat[start:stop] = ((lo_hi[1] - lo_hi[0]) < FLAT_MV).any(axis=-1) | ~finite.all(axis=(1, 2))
        hi, lo = xz.max(axis=-1, keepdims=True), xz.min(axis=-1, keepdims=True)
        at_rail = ((xz == hi) | (xz == lo)).mean(axis=-1)
        clipped[start:stop] = ((at_rail >= CLIP_SHARE) & ((hi - lo)[..., 0] > FLAT_MV)).any(axis=-1)
        if has_limb:
            derived = limb_leads_from_i_ii(xz[:, index["I"]], xz[:, index["II"]])
            ok = np.ones(len(x), bool)
            for lead in DERIVED_LIMB:
                actual = xz[:, index[lead]].astype(np.float64)
                residual = np.sqrt(np.mean((actual - derived[lead]) ** 2, axis=-1))
                rms = np.std(actual, axis=-1)
                ok &= residual <= LIMB_TOLERANCE_UV / 1000.0 + LIMB_TOLERANCE_SHARE * rms
            limb[start:stop] = ok

    # chunks in threads (numpy releases the GIL in the heavy steps); each writes its own rows
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, min(os.cpu_count() or 1, 8))) as pool:
        list(pool.map(check, range(0, n, chunk)))
    return flat, clipped, limb


def embedding_metrics(real: np.ndarray, synthetic: np.ndarray, seed: int) -> dict:
    """Fréchet distance, MMD² (+ p-value, bandwidth) and PRDC of two equal-size embeddings."""
    out = {"dims": int(real.shape[1]), "n_real": int(len(real)), "n_synthetic": int(len(synthetic)),
           "frechet": frechet_distance(real, synthetic)}
    out.update(mmd2_rbf(real, synthetic, n_permutations=N_PERMUTATIONS, seed=seed))
    out.update(prdc(real, synthetic, k=PRDC_K))
    return out
