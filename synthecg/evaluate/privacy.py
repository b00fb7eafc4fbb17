"""Privacy audit: may these synthetic ECGs be published without giving away a training patient?

``privacy_audit(real_train, real_holdout, synthetic)`` runs three tests on representations that
do not depend on where in the 10 s the beats fall (``_shift_invariant``), and two controls that
show, every time it runs, that the tests could have caught a generator that copies:

1. **Distance to closest record (DCR)**: for each synthetic ECG, the distance to the nearest
   training record (training subsampled to the holdout's size) and to the nearest holdout
   record; the share closer to training is 0.5 for a generator that learned the population and
   not its members. Bootstrap over synthetic ECGs *and* over the real records.
2. **Membership inference**: three attacks score every real record; ROC AUC of training
   (members) against holdout (non-members), bootstrap interval, TPR at 1 % FPR.
   *distance*: minus the distance of the record to its nearest synthetic ECG (beat embedding).
   *shift similarity*: the largest circular cross-correlation of the record with its shortlist
   of synthetic ECGs (a distance of 1 - similarity on the raw signals).
   *density ratio* (DOMIAS style): log synthetic density minus log reference density in a
   5-component PCA of the beat embedding (fitted on the synthetic set, which an attacker has),
   Gaussian kernels, Scott's bandwidth. The reference is the **holdout**, each holdout record
   scored leave-one-out (its own kernel removed, else it would look like a non-member by
   construction).
3. **Copies**: maximum circular cross-correlation of each synthetic ECG with its shortlist of
   training records (nearest in the beat embedding); a *copy* is one above the largest
   similarity of any holdout record to training (computed the same way), the most that two
   different people were seen to share.

Controls: *positive*: every training record circularly shifted, amplitude-jittered per lead and
with white noise, audited as if synthetic: must ``fail`` with an attack AUC >= 0.9. *negative*:
half the holdout (random, seeded) audited as synthetic against the other half: must ``pass``.
A control that misbehaves makes the verdict ``inconclusive``. Thresholds and reasons:
:data:`THRESHOLDS` and ``docs/privacy.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._seeding import rng_for
from ..ecg import ECGBatch
from ..errors import SynthECGError
from . import _shift_invariant as si
from ._jsonable import jsonable

THRESHOLDS: dict[str, Any] = {
    "confidence": 0.95,                  # two-sided bootstrap intervals (percentile)
    "bootstrap": 500,                    # resamples for every interval
    "mia_auc_fail_lower": 0.60,          # fail: an attack's AUC lower bound above this
    "mia_auc_pass_upper": 0.70,          # pass: every attack's AUC upper bound at or below this
    "dcr_share_fail_lower": 0.55,        # fail: lower bound of the closer-to-training share above
    "copy_p_value": 0.01,                # fail: more copies than chance explains at this level
    "copy_near_identical_fraction": 0.5,  # fail: any copy beyond H + this * (1 - H)
    "positive_control_min_auc": 0.90,    # the memorising control must reach this attack AUC
    "shortlist": 10,                     # training records per ECG searched over all shifts
    "domias_components": 5,              # PCA dimensions of the density-ratio attack
    "tpr_at_fpr": 0.01,                  # low false-positive rate of the attacker's advantage
    "control_gain_range": [0.9, 1.1],    # positive control: per-lead amplitude jitter
    "control_noise_mv": 0.02,            # positive control: white noise SD (20 µV)
}

VERDICTS = ("pass", "fail", "inconclusive")
PCA_ROWS = 2000  # synthetic rows used to find the density-ratio attack's principal axes
DCR_BOOTSTRAP_ROWS = 2000  # synthetic rows resampled by the DCR bootstrap
_STREAM = {"subsample": 0, "positive": 1, "negative": 2, "mia": 3, "dcr": 4}  # rng_for indices


@dataclass
class _Side:
    """One set's representations: beat embedding rows and band spectra (chunks on demand)."""

    batch: ECGBatch
    embedding: np.ndarray
    unmeasured: int


@dataclass
class PrivacyAudit:
    """Result of :func:`privacy_audit`. ``to_dict()`` is JSON-safe; arrays are for plots.

    Attributes (the report draws from them): ``verdict`` ("pass" | "fail" | "inconclusive"),
    ``reasons`` (one line each), ``mia_auc`` (the stronger attack's AUC) with
    ``mia_auc_interval``, ``mia`` (per attack: auc, interval, tpr_at_fpr), ``dcr_closer_to_train``
    with ``dcr_interval``, ``dcr`` (distributions' summaries), ``copies`` (list of dicts:
    synthetic_index, train_index, similarity, shift_samples — the shift that aligns the training
    ECG on the synthetic one, ``np.roll(train, shift)``), ``copy_threshold`` (H), ``controls``,
    ``untested``, ``sizes``, ``thresholds``, ``table`` (one row per statistic) and arrays
    ``dcr_synthetic``/``dcr_baseline``, ``nndr_synthetic``/``nndr_baseline``,
    ``similarity_synthetic``/``similarity_holdout`` (nearest-training similarities).
    """

    verdict: str
    reasons: list[str]
    mia_auc: float | None
    mia_auc_interval: tuple[float, float] | None
    mia: dict[str, dict]
    dcr_closer_to_train: float | None
    dcr_interval: tuple[float, float] | None
    dcr: dict[str, Any]
    copies: list[dict]
    copy_threshold: float | None
    copy_test: dict[str, Any]
    components: dict[str, str]
    controls: dict[str, dict]
    untested: list[str]
    sizes: dict[str, int]
    seed: int
    thresholds: dict[str, Any] = field(default_factory=lambda: dict(THRESHOLDS))
    timings: dict[str, float] = field(default_factory=dict)
    dcr_synthetic: np.ndarray | None = None
    dcr_baseline: np.ndarray | None = None
    nndr_synthetic: np.ndarray | None = None
    nndr_baseline: np.ndarray | None = None
    similarity_synthetic: np.ndarray | None = None
    similarity_holdout: np.ndarray | None = None

    @property
    def table(self):
        """pandas DataFrame: one row per statistic (test, statistic, value, ci_low, ci_high,
        threshold, outcome)."""
        import pandas as pd

        rows = []
        for name, attack in self.mia.items():
            lo, hi = attack["interval"]
            rows.append(("membership", f"{name} attack ROC AUC", attack["auc"], lo, hi,
                         f"fail if low > {THRESHOLDS['mia_auc_fail_lower']}, pass if high <= "
                         f"{THRESHOLDS['mia_auc_pass_upper']}", attack["outcome"]))
            rows.append(("membership", f"{name} attack TPR at FPR {THRESHOLDS['tpr_at_fpr']:.0%}",
                         attack["tpr_at_fpr"], None, None, "reported", ""))
        if self.dcr_closer_to_train is not None:
            lo, hi = self.dcr_interval
            rows.append(("distance to closest record", "share closer to training",
                         self.dcr_closer_to_train, lo, hi,
                         f"fail if low > {THRESHOLDS['dcr_share_fail_lower']}",
                         self.components.get("dcr", "")))
            rows.append(("distance to closest record", "share below real-to-real 5th percentile",
                         self.dcr.get("share_below_baseline_p5"), None, None,
                         "reported (0.05 expected)", ""))
        if self.copy_test:
            rows.append(("copies", "synthetic ECGs above the holdout-to-training maximum",
                         self.copy_test["n_copies"], None, None,
                         f"chance: {self.copy_test['expected_by_chance']:.2f}, fail if p < "
                         f"{THRESHOLDS['copy_p_value']}", self.components.get("copies", "")))
            rows.append(("copies", "p-value (beta-binomial)", self.copy_test["p_value"], None,
                         None, "", ""))
            rows.append(("copies", "near-identical copies", self.copy_test["n_near_identical"],
                         None, None, f"fail if > 0 (similarity > "
                         f"{_round(self.copy_test['near_identical_threshold'])})", ""))
        for name, control in self.controls.items():
            rows.append(("controls", f"{name} control verdict", control.get("mia_auc"), None,
                         None, f"expected {control['expected']}",
                         control.get("verdict", "not run")))
        return pd.DataFrame(rows, columns=["test", "statistic", "value", "ci_low", "ci_high",
                                           "threshold", "outcome"])

    def to_dict(self) -> dict:
        out = {
            "verdict": self.verdict, "reasons": list(self.reasons),
            "mia_auc": self.mia_auc, "mia_auc_interval": self.mia_auc_interval,
            "mia": self.mia, "dcr_closer_to_train": self.dcr_closer_to_train,
            "dcr_interval": self.dcr_interval, "dcr": self.dcr, "copies": self.copies,
            "copy_threshold": self.copy_threshold, "copy_test": self.copy_test,
            "components": self.components, "controls": self.controls, "untested": self.untested,
            "sizes": self.sizes, "seed": self.seed, "thresholds": self.thresholds,
            "timings": self.timings,
        }
        return jsonable(out)


def _round(x, digits=4):
    return None if x is None else round(float(x), digits)


# --- statistics -------------------------------------------------------------------------------
def roc_auc(members: np.ndarray, nonmembers: np.ndarray) -> float:
    """P(score of a member > score of a non-member) + 0.5 P(equal): Mann-Whitney, ties halved."""
    from scipy.stats import rankdata

    scores = np.concatenate([members, nonmembers])
    ranks = rankdata(scores)
    n1, n0 = len(members), len(nonmembers)
    return float((ranks[:n1].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def tpr_at_fpr(members: np.ndarray, nonmembers: np.ndarray, fpr: float) -> float:
    """Share of members scored above the threshold that lets at most ``fpr`` of the
    non-members through (resolution 1 / len(nonmembers): with fewer than 1/fpr non-members
    no false positive is allowed)."""
    allowed = int(np.floor(fpr * len(nonmembers)))
    threshold = np.sort(nonmembers)[::-1][allowed] if allowed < len(nonmembers) else -np.inf
    return float(np.mean(members > threshold))


def _interval(values: np.ndarray) -> tuple[float, float]:
    alpha = (1.0 - THRESHOLDS["confidence"]) / 2.0
    lo, hi = np.quantile(values, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _auc_interval(members, nonmembers, rng) -> tuple[float, float]:
    """Stratified bootstrap (members and non-members resampled separately). Each resample's
    AUC is a weighted mean of the pairwise comparison matrix, so all resamples are one product."""
    b = THRESHOLDS["bootstrap"]
    wins = (members[:, None] > nonmembers[None, :]) + 0.5 * (members[:, None] == nonmembers[None, :])
    w1 = rng.multinomial(len(members), np.full(len(members), 1.0 / len(members)), size=b)
    w0 = rng.multinomial(len(nonmembers), np.full(len(nonmembers), 1.0 / len(nonmembers)), size=b)
    aucs = np.einsum("bi,ij,bj->b", w1.astype(np.float64), wins, w0.astype(np.float64),
                     optimize=True) / (len(members) * len(nonmembers))
    return _interval(aucs)


# --- the tests ----------------------------------------------------------------------------------
def _domias_scores(train_emb, holdout_emb, synth_emb, components: int, rng):
    """log p_synthetic - log p_reference for every training then holdout record (reference =
    holdout, leave-one-out for holdout records)."""
    from scipy.special import logsumexp

    d = int(min(components, synth_emb.shape[0] - 1, synth_emb.shape[1], holdout_emb.shape[0] - 2))
    if d < 1:
        return None
    # leading principal axes of the synthetic set by a seeded randomised range finder (a few
    # products with a thin random matrix): a full SVD/eigh of 562 dimensions cost seconds on a
    # busy machine and only d axes are needed
    rows = (np.arange(len(synth_emb)) if len(synth_emb) <= PCA_ROWS
            else np.sort(rng.choice(len(synth_emb), PCA_ROWS, replace=False)))
    centre = synth_emb[rows].mean(axis=0)
    centred = synth_emb[rows] - centre
    basis = centred @ rng.standard_normal((centred.shape[1], min(centred.shape[1], d + 10)))
    for _ in range(4):
        basis, _ = np.linalg.qr(centred @ (centred.T @ basis))
    _, sv, vt = np.linalg.svd(basis.T @ centred, full_matrices=False)
    axes = vt[:d].T
    sd = sv[:d] / np.sqrt(max(1, len(rows) - 1))
    sd = np.where(sd > 0, sd, 1.0)

    def project(x):
        return (x - centre) @ axes / sd

    s, r = project(synth_emb), project(holdout_emb)
    queries = np.vstack([project(train_emb), r])
    n_train = train_emb.shape[0]

    def log_kde(points, h, leave_out=None):
        d2 = si.pairwise_distances(queries, points) ** 2
        if leave_out is not None:
            d2[leave_out[0], leave_out[1]] = np.inf
        counts = len(points) - (0 if leave_out is None else
                                np.isin(np.arange(len(queries)), leave_out[0]).astype(float))
        return (logsumexp(-0.5 * d2 / h ** 2, axis=1) - np.log(counts)
                - d * np.log(h * np.sqrt(2 * np.pi)))

    h_syn = len(s) ** (-1.0 / (d + 4))                       # Scott, whitened coordinates
    spread = float(np.sqrt(np.mean(np.var(r, axis=0)))) or 1.0
    h_ref = spread * (len(r) - 1) ** (-1.0 / (d + 4))
    loo = (n_train + np.arange(len(r)), np.arange(len(r)))
    return log_kde(s, h_syn) - log_kde(r, h_ref, leave_out=loo)


def _real_to_synthetic_similarity(real_spec: np.ndarray, synthetic: ECGBatch,
                                  d_real_syn: np.ndarray, lo: int) -> np.ndarray:
    """Best circular similarity of each real record to its shortlist of synthetic ECGs."""
    k = min(THRESHOLDS["shortlist"], d_real_syn.shape[1])
    candidates = np.argpartition(d_real_syn, k - 1, axis=1)[:, :k]
    used, local = np.unique(candidates, return_inverse=True)
    # picked 256 at a time: up to (real records x shortlist) ECGs, whose copy would be 0.5 GB
    syn_spec = np.concatenate([si.band_spectra(synthetic[used[i:i + 256]])
                               for i in range(0, len(used), 256)])
    sim, _ = si.max_shift_similarity(
        si.cross_listed(real_spec, syn_spec, local.reshape(candidates.shape)), lo,
        synthetic.n_samples)
    return sim.max(axis=1)


def _membership(train: _Side, holdout: _Side, d_real_syn: np.ndarray, synth: _Side,
                real_spec: np.ndarray, lo: int, rng) -> dict:
    n_train = len(train.embedding)
    synth_emb = synth.embedding
    nearest = d_real_syn.min(axis=1)
    attacks = {"distance": -nearest,
               "shift similarity": _real_to_synthetic_similarity(real_spec, synth.batch,
                                                                 d_real_syn, lo)}
    domias = _domias_scores(train.embedding, holdout.embedding, synth_emb,
                            THRESHOLDS["domias_components"], rng)
    if domias is not None:
        attacks["density ratio"] = domias
    out = {}
    for name, score in attacks.items():
        members, nonmembers = score[:n_train], score[n_train:]
        auc = roc_auc(members, nonmembers)
        lo, hi = _auc_interval(members, nonmembers, rng)
        outcome = ("fail" if lo > THRESHOLDS["mia_auc_fail_lower"] else
                   "pass" if hi <= THRESHOLDS["mia_auc_pass_upper"] else "inconclusive")
        out[name] = {"auc": auc, "interval": (lo, hi), "outcome": outcome,
                     "tpr_at_fpr": tpr_at_fpr(members, nonmembers, THRESHOLDS["tpr_at_fpr"]),
                     "members": n_train, "nonmembers": len(nonmembers)}
    return out


def _dcr(d_syn_train: np.ndarray, d_syn_hold: np.ndarray, d_hold_train: np.ndarray, rng) -> dict:
    """DCR share and distributions. Train columns are subsampled to the holdout's size."""
    n_train, n_hold = d_syn_train.shape[1], d_syn_hold.shape[1]
    sub = np.sort(rng.choice(n_train, size=min(n_train, n_hold), replace=False))
    hold_cols = (np.arange(n_hold) if n_hold <= n_train
                 else np.sort(rng.choice(n_hold, size=n_train, replace=False)))
    dt, dh = d_syn_train[:, sub], d_syn_hold[:, hold_cols]

    def share(rows, tcols, hcols):
        a = dt[rows][:, tcols].min(axis=1)
        b = dh[rows][:, hcols].min(axis=1)
        return float(np.mean((a < b) + 0.5 * (a == b)))

    all_rows = np.arange(dt.shape[0])
    point = share(all_rows, np.arange(dt.shape[1]), np.arange(dh.shape[1]))
    # The bootstrap resamples at most DCR_BOOTSTRAP_ROWS synthetic rows (a seeded subsample):
    # the real columns (~100) carry almost all the uncertainty, and fewer rows only widen the
    # interval slightly (conservative) while 10,000 rows x 500 resamples cost a minute.
    pool = (all_rows if len(all_rows) <= DCR_BOOTSTRAP_ROWS
            else np.sort(rng.choice(len(all_rows), DCR_BOOTSTRAP_ROWS, replace=False)))
    boot = np.empty(THRESHOLDS["bootstrap"])
    for k in range(len(boot)):
        boot[k] = share(pool[rng.integers(0, len(pool), len(pool))],
                        rng.integers(0, dt.shape[1], dt.shape[1]),
                        rng.integers(0, dh.shape[1], dh.shape[1]))
    lo, hi = _interval(boot)

    def nearest_two(d):
        part = np.sort(d, axis=1)[:, :2] if d.shape[1] >= 2 else np.repeat(d, 2, axis=1)
        return part[:, 0], np.divide(part[:, 0], part[:, 1], out=np.ones(len(part)),
                                     where=part[:, 1] > 0)

    dcr_syn, nndr_syn = nearest_two(dt)
    dcr_base, nndr_base = nearest_two(d_hold_train[:, sub])     # real-to-real baseline
    p5 = float(np.quantile(dcr_base, 0.05))
    q = [0.05, 0.25, 0.5]
    summary = {
        "share": point, "interval": (lo, hi), "train_subsample": len(sub),
        "holdout_used": len(hold_cols),
        "synthetic_quantiles": dict(zip(["p5", "p25", "p50"], np.quantile(dcr_syn, q))),
        "baseline_quantiles": dict(zip(["p5", "p25", "p50"], np.quantile(dcr_base, q))),
        "nndr_synthetic_median": float(np.median(nndr_syn)),
        "nndr_baseline_median": float(np.median(nndr_base)),
        "share_below_baseline_p5": float(np.mean(dcr_syn < p5)),
        "outcome": "fail" if lo > THRESHOLDS["dcr_share_fail_lower"] else "pass",
    }
    return {"summary": summary, "dcr_synthetic": dcr_syn, "dcr_baseline": dcr_base,
            "nndr_synthetic": nndr_syn, "nndr_baseline": nndr_base}


def _nearest_similarity(query: ECGBatch, train_spec: np.ndarray, d_query_train: np.ndarray,
                        lo: int, exclude_self: bool = False, chunk: int = 256):
    """Best circular similarity of each query ECG over its shortlist of training records.

    Returns (similarity (n,), train index (n,), shift (n,))."""
    k = min(THRESHOLDS["shortlist"], train_spec.shape[0] - (1 if exclude_self else 0))
    n = len(query)
    sim = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    shift = np.empty(n, dtype=np.int64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        d = d_query_train[start:stop].copy()
        if exclude_self:
            d[np.arange(stop - start), np.arange(start, stop)] = np.inf
        candidates = np.argpartition(d, k - 1, axis=1)[:, :k]
        spec = si.band_spectra(query, start=start, stop=stop)
        s, sh = si.max_shift_similarity(si.cross_listed(spec, train_spec, candidates), lo,
                                        query.n_samples)
        best = np.argmax(s, axis=1)
        rows = np.arange(stop - start)
        sim[start:stop] = s[rows, best]
        idx[start:stop] = candidates[rows, best]
        shift[start:stop] = sh[rows, best]
    return sim, idx, shift


def _copy_test(syn_sim, syn_idx, syn_shift, ref_sim) -> dict:
    from scipy.stats import betabinom

    h = float(np.max(ref_sim))
    near = h + THRESHOLDS["copy_near_identical_fraction"] * (1.0 - h)
    flagged = np.flatnonzero(syn_sim > h)
    flagged = flagged[np.argsort(-syn_sim[flagged], kind="stable")]
    n, m = len(syn_sim), len(ref_sim)
    # Under "synthetic ECGs are as close to training as fresh people are", each one exceeds the
    # maximum of m reference similarities with probability 1/(m+1), and the count is
    # beta-binomial(n, 1, m) (the maximum itself is random).
    p = float(betabinom(n, 1, m).sf(len(flagged) - 1)) if len(flagged) else 1.0
    n_near = int(np.sum(syn_sim > near))
    copies = [{"synthetic_index": int(i), "train_index": int(syn_idx[i]),
               "similarity": float(syn_sim[i]), "shift_samples": int(syn_shift[i]),
               "near_identical": bool(syn_sim[i] > near)} for i in flagged]
    outcome = "fail" if (p < THRESHOLDS["copy_p_value"] or n_near > 0) else "pass"
    return {"threshold": h, "near_identical_threshold": near, "n_copies": len(flagged),
            "expected_by_chance": n / (m + 1.0), "p_value": p, "n_near_identical": n_near,
            "reference_records": m, "outcome": outcome, "copies": copies}


# --- representations ------------------------------------------------------------------------------
def _check(real_train, real_holdout, synthetic) -> None:
    named = [("real_train", real_train), ("synthetic", synthetic)]
    if real_holdout is not None:
        named.append(("real_holdout", real_holdout))
    for name, batch in named:
        if not isinstance(batch, ECGBatch):
            raise SynthECGError(f"{name}: expected an ECGBatch, got {type(batch).__name__}")
        if len(batch) == 0:
            raise SynthECGError(f"{name}: no ECGs")
        if np.issubdtype(batch.signals.dtype, np.floating) and not _all_finite(batch.signals):
            raise SynthECGError(f"{name}: NaN or infinite samples; clean or drop those ECGs first")
    ref = real_train
    for name, batch in named[1:]:
        if (batch.fs, batch.leads, batch.n_samples) != (ref.fs, ref.leads, ref.n_samples):
            raise SynthECGError(
                f"{name}: not comparable with real_train ({batch.fs:g} vs {ref.fs:g} Hz, "
                f"{batch.n_samples} vs {ref.n_samples} samples, leads {list(batch.leads)} vs "
                f"{list(ref.leads)}); resample and select common leads first")
    if len(real_train) < 2:
        raise SynthECGError("real_train: the audit needs at least 2 training ECGs")


def _all_finite(x: np.ndarray, chunk: int = 256) -> bool:
    """np.isfinite over chunks of ECGs (a whole-array mask of 10,000 ECGs would be 400 MB)."""
    return all(np.isfinite(x[i:i + chunk]).all() for i in range(0, len(x), chunk))


_BEAT_CACHE: dict[str, tuple] = {}
_BEAT_CACHE_BYTES = 256 * 2 ** 20   # median beats of ~20,000 8-lead ECGs


def _beats(batch: ECGBatch, known=None):
    """``si.rhythm_beats`` with a small in-memory cache keyed by the signals' hash: beat
    detection is the audit's slowest step and re-auditing the same real sets (another synthetic
    set, another seed, the report re-run) should not repeat it."""
    import hashlib

    if known is not None:
        beats, rr, _ = known
        if len(beats) != len(batch) or beats.shape[1] != batch.n_leads:
            raise SynthECGError(f"median_beats: {beats.shape} does not match the batch's "
                                f"{len(batch)} ECGs x {batch.n_leads} leads")
        return si.rhythm_beats(batch, known=(np.asarray(beats), np.asarray(rr)))

    digest = hashlib.blake2b(np.ascontiguousarray(batch.signals).view(np.uint8), digest_size=16)
    key = f"{digest.hexdigest()}:{batch.signals.shape}:{batch.signals.dtype}:{batch.fs}:{batch.units}"
    if key in _BEAT_CACHE:
        return _BEAT_CACHE[key]
    value = si.rhythm_beats(batch)
    size = sum(v.nbytes for v in value)
    while _BEAT_CACHE and sum(sum(v.nbytes for v in e) for e in _BEAT_CACHE.values()) + size \
            > _BEAT_CACHE_BYTES:
        _BEAT_CACHE.pop(next(iter(_BEAT_CACHE)))          # oldest first
    if size <= _BEAT_CACHE_BYTES:
        _BEAT_CACHE[key] = value
    return value


def _given_rhythm(batch: ECGBatch, value) -> tuple:
    """A caller's ``rhythm_beats`` output for ``batch``, shape-checked."""
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise SynthECGError("rhythm_beats: expected (beats, rr_ms, rr_cv) per set")
    beats, rr, cv = (np.asarray(v) for v in value)
    if beats.ndim != 3 or len(beats) != len(batch) or beats.shape[1] != batch.n_leads \
            or len(rr) != len(batch) or len(cv) != len(batch):
        raise SynthECGError(f"rhythm_beats: {beats.shape} does not match the batch's "
                            f"{len(batch)} ECGs x {batch.n_leads} leads")
    return beats, rr, cv


def _positive_control(train: ECGBatch, seed: int) -> ECGBatch:
    """Every training record circularly shifted (uniform shift), each lead scaled by a gain in
    ``control_gain_range`` and white noise of ``control_noise_mv`` added: a generator that
    memorised its training set and disguises it a little."""
    rng = rng_for(seed, _STREAM["positive"])
    n, leads, samples = train.signals.shape
    shifts = rng.integers(0, samples, n)
    lo, hi = THRESHOLDS["control_gain_range"]
    gains = rng.uniform(lo, hi, (n, leads, 1))
    out = np.empty((n, leads, samples), dtype=np.float32)
    # 32 records at a time (float64 copies of 300 x 12 x 5000 would be 3 x 144 MB); the noise is
    # drawn in the same order, so the values are those of one whole-set draw
    for start in range(0, n, 32):
        stop = min(n, start + 32)
        x = train[start:stop].to_units("mV").signals.astype(np.float64)
        noise = rng.normal(0.0, THRESHOLDS["control_noise_mv"], x.shape)
        rows = np.arange(samples)[None, :] - shifts[start:stop, None]   # np.roll per record
        out[start:stop] = x[np.arange(stop - start)[:, None, None],
                            np.arange(leads)[None, :, None],
                            (rows % samples)[:, None, :]] * gains[start:stop] + noise
    meta = [{"control": "positive", "train_index": i, "shift_samples": int(s)}
            for i, s in enumerate(shifts)]
    return ECGBatch(out, train.fs, train.leads, "mV", meta)


# --- the audit ----------------------------------------------------------------------------------
def _core(train: _Side, holdout: _Side | None, synth: _Side, train_spec, lo, seed,
          holdout_sim=None) -> dict:
    """Tests of one (train, holdout, synthetic) triple; controls are run by the caller."""
    timings = {}
    t0 = time.perf_counter()
    d_syn_train = si.pairwise_distances(synth.embedding, train.embedding)
    syn_sim, syn_idx, syn_shift = _nearest_similarity(synth.batch, train_spec, d_syn_train, lo)
    timings["copies_synthetic"] = time.perf_counter() - t0
    result: dict[str, Any] = {"similarity_synthetic": syn_sim, "timings": timings}
    components = {}
    if holdout is None:
        if holdout_sim is None:
            raise AssertionError("reference similarities needed without a holdout")
        result["copy_test"] = _copy_test(syn_sim, syn_idx, syn_shift, holdout_sim)
        components["copies"] = result["copy_test"]["outcome"]
        result["components"] = components
        return result
    t0 = time.perf_counter()
    if holdout_sim is None:
        d_hold_train = si.pairwise_distances(holdout.embedding, train.embedding)
        holdout_sim, _, _ = _nearest_similarity(holdout.batch, train_spec, d_hold_train, lo)
    else:
        d_hold_train = si.pairwise_distances(holdout.embedding, train.embedding)
    result["similarity_holdout"] = holdout_sim
    result["copy_test"] = _copy_test(syn_sim, syn_idx, syn_shift, holdout_sim)
    components["copies"] = result["copy_test"]["outcome"]
    timings["copies_holdout"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    d_syn_hold = si.pairwise_distances(synth.embedding, holdout.embedding)
    result["dcr"] = _dcr(d_syn_train, d_syn_hold, d_hold_train, rng_for(seed, _STREAM["dcr"]))
    components["dcr"] = result["dcr"]["summary"]["outcome"]
    timings["dcr"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    d_real_syn = np.vstack([d_syn_train.T, d_syn_hold.T])
    real_spec = np.concatenate([train_spec, si.band_spectra(holdout.batch)])
    result["mia"] = _membership(train, holdout, d_real_syn, synth, real_spec, lo,
                                rng_for(seed, _STREAM["mia"]))
    outcomes = [a["outcome"] for a in result["mia"].values()]
    components["membership"] = ("fail" if "fail" in outcomes else
                                "inconclusive" if "inconclusive" in outcomes else "pass")
    timings["membership"] = time.perf_counter() - t0
    result["components"] = components
    return result


def _combine(components: dict[str, str]) -> str:
    values = list(components.values())
    if "fail" in values:
        return "fail"
    if values and all(v == "pass" for v in values):
        return "pass"
    return "inconclusive"


def _control_summary(core: dict, expected: str, verdict: str) -> dict:
    mia = core.get("mia") or {}
    aucs = [a["auc"] for a in mia.values()]
    out = {"expected": expected, "verdict": verdict, "components": core["components"],
           "mia_auc": max(aucs) if aucs else None,
           "mia": {k: {"auc": v["auc"], "interval": v["interval"]} for k, v in mia.items()},
           "dcr_closer_to_train": core["dcr"]["summary"]["share"] if "dcr" in core else None,
           "n_copies": core["copy_test"]["n_copies"],
           "copy_threshold": core["copy_test"]["threshold"]}
    if expected == "fail":
        need = THRESHOLDS["positive_control_min_auc"]
        out["behaved"] = verdict == "fail" and (out["mia_auc"] is None or out["mia_auc"] >= need)
    else:
        out["behaved"] = verdict == "pass"
    return out


def privacy_audit(real_train: ECGBatch, real_holdout: ECGBatch | None, synthetic: ECGBatch, *,
                  seed: int = 0, median_beats: dict[str, tuple] | None = None,
                  rhythm_beats: dict[str, tuple] | None = None,
                  progress: bool | None = None) -> PrivacyAudit:
    """Audit ``synthetic`` ECGs for what they reveal about ``real_train``.

    All three batches must be comparable (same fs, leads in the same order, same length; units
    may differ). ``real_holdout``: ECGs of the same population that the generator never saw;
    without it only the copy test can run (its bound then comes from training records compared
    with each other) and the verdict is ``fail`` (copies found) or ``inconclusive``.
    ``seed`` fixes the training subsample, the controls and every bootstrap: the same inputs and
    seed give the same audit. ``median_beats``: optional ``{"train"|"holdout"|"synthetic":
    synthecg.measure.median_beats(batch)}`` already computed by the caller (beat detection is
    the audit's slowest step; the evaluation computes them once for all metrics).
    ``rhythm_beats``: optional ``{"train"|"holdout"|"synthetic":
    synthecg.evaluate._shift_invariant.rhythm_beats(batch)}`` (beats, median RR and RR
    variability), e.g. from the evaluation's cache; used as given (takes precedence over
    ``median_beats``). ``progress``:
    a progress bar over the audit's stages (None: only on a terminal). Returns a
    :class:`PrivacyAudit`.
    """
    from .._progress import progress_bar

    _check(real_train, real_holdout, synthetic)
    timings: dict[str, float] = {}
    stages = 5 if real_holdout is not None else 4
    with progress_bar(stages, "privacy audit", unit="stage", enabled=progress) as bar:
        t0 = time.perf_counter()
        known = dict(median_beats or {})
        rhythm = dict(rhythm_beats or {})
        for arg, given in (("median_beats", known), ("rhythm_beats", rhythm)):
            unknown = set(given) - {"train", "holdout", "synthetic"}
            if unknown:
                raise SynthECGError(f"{arg}: unknown key(s) {sorted(unknown)}; use 'train', "
                                    "'holdout', 'synthetic'")
        named = {"train": real_train, "synthetic": synthetic}
        if real_holdout is not None:
            named["holdout"] = real_holdout
        raw = {name: _given_rhythm(batch, rhythm[name]) if name in rhythm
               else _beats(batch, known.get(name)) for name, batch in named.items()}
        positive = _positive_control(real_train, seed)
        raw["positive"] = _beats(positive)
        timings["beats"] = time.perf_counter() - t0
        bar.update()

        fit = [raw["train"]] + ([raw["holdout"]] if real_holdout is not None else [])
        embedder = si.BeatEmbedding(real_train.fs).fit(
            *[np.concatenate([f[k] for f in fit]) for k in range(3)])

        def side(name, batch):
            beats = raw[name][0]
            unmeasured = int(np.sum(~np.isfinite(beats).all(axis=(1, 2)))) if len(beats) else 0
            return _Side(batch, embedder.transform(*raw[name]), unmeasured)

        train = side("train", real_train)
        synth = side("synthetic", synthetic)
        pos = side("positive", positive)
        hold = side("holdout", real_holdout) if real_holdout is not None else None
        t0 = time.perf_counter()
        train_spec = si.band_spectra(real_train)
        lo = si.band_offset(real_train)
        timings["spectra"] = time.perf_counter() - t0
        bar.update()

        # The reference similarity (what different people share) and an overlap check.
        t0 = time.perf_counter()
        if hold is not None:
            d_hold_train = si.pairwise_distances(hold.embedding, train.embedding)
            ref_sim, ref_idx, _ = _nearest_similarity(real_holdout, train_spec, d_hold_train, lo)
            if np.max(ref_sim) > 0.999:
                j = int(np.argmax(ref_sim))
                raise SynthECGError(
                    f"real_holdout: ECG {j} is a copy of training ECG {int(ref_idx[j])} "
                    f"(similarity {ref_sim[j]:.4f}); the holdout must not overlap the training set")
        else:
            d_train_train = si.pairwise_distances(train.embedding, train.embedding)
            ref_sim, _, _ = _nearest_similarity(real_train, train_spec, d_train_train, lo,
                                                exclude_self=True)
        timings["reference_similarity"] = time.perf_counter() - t0
        bar.update()

        t0 = time.perf_counter()
        main = _core(train, hold, synth, train_spec, lo, seed, holdout_sim=ref_sim)
        timings["tests"] = time.perf_counter() - t0
        bar.update()

        t0 = time.perf_counter()
        controls = {}
        pos_core = _core(train, hold, pos, train_spec, lo, seed, holdout_sim=ref_sim)
        controls["positive"] = _control_summary(pos_core, "fail", _combine(pos_core["components"]))
        if hold is not None:
            controls["negative"] = _negative_control(train, hold, embedder, train_spec, lo, seed,
                                                     ref_sim)
        timings["controls"] = time.perf_counter() - t0
        bar.update()

    return _assemble(main, controls, real_train, real_holdout, synthetic, train, hold, synth,
                     seed, timings, ref_sim)


def _negative_control(train: _Side, hold: _Side, embedder, train_spec, lo, seed, ref_sim) -> dict:
    n = len(hold.embedding)
    if n < 4:
        return {"expected": "pass", "verdict": "not run", "behaved": False,
                "reason": f"needs at least 4 holdout ECGs, got {n}"}
    order = rng_for(seed, _STREAM["negative"]).permutation(n)
    ref_rows, syn_rows = np.sort(order[: n // 2]), np.sort(order[n // 2:])

    def part(rows):
        return _Side(hold.batch[rows], hold.embedding[rows], 0)

    core = _core(train, part(ref_rows), part(syn_rows), train_spec, lo, seed,
                 holdout_sim=ref_sim[ref_rows])
    out = _control_summary(core, "pass", _combine(core["components"]))
    out["sizes"] = {"synthetic": len(syn_rows), "holdout": len(ref_rows)}
    return out


def _assemble(main, controls, real_train, real_holdout, synthetic, train, hold, synth, seed,
              timings, ref_sim) -> PrivacyAudit:
    components = dict(main["components"])
    reasons: list[str] = []
    untested: list[str] = []
    if hold is None:
        untested = ["membership inference (needs non-members: a holdout)",
                    "distance to closest record (needs a holdout to compare with)",
                    "negative control (needs a holdout)"]
        verdict = "fail" if components["copies"] == "fail" else "inconclusive"
        reasons.append("no holdout: only the copy test ran (bound: training records compared "
                       "with each other)")
    else:
        verdict = _combine(components)
    for name, outcome in components.items():
        if outcome != "pass":
            reasons.append(f"{name}: {outcome}")
    misbehaved = [name for name, c in controls.items() if not c.get("behaved")]
    if misbehaved:
        reasons.append("control(s) did not behave: " + ", ".join(
            f"{name} (expected {controls[name]['expected']}, got {controls[name]['verdict']})"
            for name in misbehaved))
        if controls.get("negative", {}).get("verdict") == "inconclusive":
            reasons.append("the negative control audits half the holdout: with few holdout "
                           "records the attacks' intervals are too wide to pass (about 60 or "
                           "more holdout ECGs are needed)")
        verdict = "inconclusive"
    if verdict == "pass":
        reasons.append("every test passed and both controls behaved")

    mia = main.get("mia") or {}
    best = max(mia, key=lambda k: mia[k]["auc"]) if mia else None
    copy_test = dict(main["copy_test"])
    copies = copy_test.pop("copies")
    dcr = main.get("dcr")
    sizes = {"train": len(real_train), "holdout": len(real_holdout) if real_holdout is not None
             else 0, "synthetic": len(synthetic),
             "unmeasured_train": train.unmeasured, "unmeasured_synthetic": synth.unmeasured,
             "unmeasured_holdout": hold.unmeasured if hold is not None else 0}
    if dcr is not None:
        sizes["dcr_train_subsample"] = dcr["summary"]["train_subsample"]
    timings = {**timings, **{f"main_{k}": v for k, v in main["timings"].items()}}
    return PrivacyAudit(
        verdict=verdict, reasons=reasons,
        mia_auc=mia[best]["auc"] if best else None,
        mia_auc_interval=mia[best]["interval"] if best else None,
        mia={k: {kk: vv for kk, vv in v.items()} for k, v in mia.items()},
        dcr_closer_to_train=dcr["summary"]["share"] if dcr else None,
        dcr_interval=dcr["summary"]["interval"] if dcr else None,
        dcr=dcr["summary"] if dcr else {},
        copies=copies, copy_threshold=copy_test["threshold"], copy_test=copy_test,
        components=components, controls=controls, untested=untested, sizes=sizes, seed=seed,
        timings=timings,
        dcr_synthetic=dcr["dcr_synthetic"] if dcr else None,
        dcr_baseline=dcr["dcr_baseline"] if dcr else None,
        nndr_synthetic=dcr["nndr_synthetic"] if dcr else None,
        nndr_baseline=dcr["nndr_baseline"] if dcr else None,
        similarity_synthetic=main["similarity_synthetic"], similarity_holdout=ref_sim,
    )
