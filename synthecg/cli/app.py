"""Command definitions (each a few lines over a public function)."""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="synthecg")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """SynthECG: generate, read and audit synthetic 12-lead ECGs."""


@cli.command()
@click.option("-n", "n", type=int, required=True, help="Number of ECGs to generate.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="ECG k depends only on (seed, k).")
@click.option("--out", "out", type=click.Path(), required=True,
              help="Output folder: shards plus manifest.json (created if missing).")
@click.option("--model", default="pulse2pulse-deepfake", show_default=True,
              help="Model name, checkpoint file or training run folder.")
@click.option("--format", "file_format", type=click.Choice(["npy", "npz", "hdf5"]), default="npy",
              show_default=True, help="Shard file format.")
@click.option("--hdf5-compression", type=click.Choice(["none", "lzf", "gzip"]), default="none",
              show_default=True, help="HDF5 shards: none (fastest to read) or compressed.")
@click.option("--batch-size", type=int, default=None, help="ECGs per forward pass (speed only).")
@click.option("--shard-size", type=int, default=1000, show_default=True, help="ECGs per shard file.")
@click.option("--leads", type=click.Choice(["8", "12"]), default="12", show_default=True,
              help="12 standard leads, or the 8 independent ones (I, II, V1-V6).")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(n, seed, out, model, file_format, hdf5_compression, batch_size, shard_size, leads,
             device, quiet):
    """Generate N synthetic 10-s ECGs (µV, int16, 500 Hz) into a folder of shards.

    Resumable: after an interruption, the same command skips complete shards. Under
    `torchrun --nproc-per-node P -m synthecg generate ...` the ranks share the shards.
    """
    import time

    from ..generation import generate_to_folder

    started = time.perf_counter()
    result = generate_to_folder(out, n, seed=seed, model=model, leads=int(leads),
                                file_format=file_format, shard_size=shard_size,
                                batch_size=batch_size, device=device,
                                progress=False if quiet else None,
                                hdf5_compression=hdf5_compression)
    if _is_rank_zero():
        seconds = time.perf_counter() - started
        shards = result.manifest["shards"]
        size = result.n_bytes
        click.echo(f"wrote {n} ECGs ({len(shards)} shard{'s' * (len(shards) != 1)}, "
                   f"{size / 1e6:.1f} MB, {size / n / 1e3:.0f} kB per ECG) to {result.folder}/ "
                   f"in {seconds:.1f} s; {result.skipped} shard(s) were already complete")
        click.echo(f"manifest: {result.folder / 'manifest.json'}")


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--limit", type=int, default=20, show_default=True,
              help="Describe at most this many ECGs one per line (0 = all).")
def info(path, limit):
    """Describe the ECGs in PATH (any readable file or folder): count, fs, leads, duration,
    units, amplitude range, metadata, then one line per ECG."""
    from ..io import iter_records
    from ..summary import DatasetSummary, summary_line

    total, lines = DatasetSummary(), []
    for batch in iter_records(path):
        shown = len(batch) if not limit else min(len(batch), limit - len(lines))
        lines += [summary_line(batch, i, total.n + i) for i in range(shown)]
        total.add(batch)
    click.echo("\n".join(total.lines(path) + lines))
    if limit and total.n > limit:
        click.echo(f"... ({total.n - limit} more ECGs not shown; --limit 0 shows all)")


@cli.command()
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path())
@click.option("--format", "file_format", default=None,
              help="Output format (default: from TARGET's suffix).")
@click.option("--units", type=click.Choice(["uV", "mV"]), default=None,
              help="Convert to integer microvolts or float32 millivolts (default: keep).")
@click.option("--fs", type=float, default=None,
              help="Resample every record to this rate in Hz (needed when records differ).")
@click.option("--length", type=int, default=None,
              help="Crop/pad every record to this many samples (needed when lengths differ).")
@click.option("--overwrite", is_flag=True, help="Replace TARGET if it exists.")
def convert(source, target, file_format, units, fs, length, overwrite):
    """Convert SOURCE (any readable file or folder) into TARGET."""
    from ..io.convert import convert as convert_file
    from ..summary import describe_batch

    batch = convert_file(source, target, format=file_format, units=units, overwrite=overwrite,
                         fs=fs, length=length)
    click.echo(f"wrote {describe_batch(batch, target)}")


@cli.command()
@click.argument("path", type=click.Path())
@click.option("--out", "out", type=click.Path(), required=True, help="Output .png or .pdf.")
@click.option("--index", type=int, default=None, help="Plot ECG K (0-based; default 0).")
@click.option("--all", "every", is_flag=True, help="Plot every ECG, one PDF page each.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default="a4", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def plot(path, out, index, every, paper, overwrite):
    """Draw ECGs from PATH on true-scale ECG paper (25 mm/s, 10 mm/mV) into a PNG or PDF."""
    from ..errors import SynthECGError
    from ..io import iter_records
    from ..io.convert import read_one
    from ..plot import ecg_paper

    if every and index is not None:
        raise SynthECGError("--index and --all: give one or the other")
    ecgs = iter_records(path, batch_size=64) if every else read_one(path, index or 0)
    click.echo(f"wrote {ecg_paper(ecgs, out, paper=paper, overwrite=overwrite)}")


@cli.command("measure")
@click.argument("path", type=click.Path())
@click.option("--out", "out", type=click.Path(), required=True, help="CSV file to write.")
@click.option("--batch-size", type=int, default=256, show_default=True, help="ECGs per batch.")
@click.option("--overwrite", is_flag=True, help="Replace an existing CSV.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def measure_command(path, out, batch_size, overwrite, quiet):
    """Measure every ECG in PATH (heart rate, PR, QRS, QT/QTc, axes, amplitudes) into a CSV."""
    from ..measure_files import measure_to_csv

    n = measure_to_csv(path, out, batch_size=batch_size, overwrite=overwrite,
                       progress=False if quiet else None)
    click.echo(f"measured {n} ECGs into {out}")


@cli.command("train")
@click.option("--model", type=click.Choice(["pulse2pulse", "wavegan"]), default=None,
              help="Architecture (default pulse2pulse).")
@click.option("--data", "data_path", type=click.Path(), default=None,
              help="Folder or file of ECGs to train on (anything `synthecg info` reads).")
@click.option("--filter", "data_filter", default=None,
              help="Train only on 'normal' (sinus rhythm) or comma-separated SNOMED codes.")
@click.option("--out", "out", type=click.Path(), required=True, help="Run directory.")
@click.option("--steps", type=int, default=None, help="Generator steps to train for.")
@click.option("--epochs", type=float, default=None, help="Or: passes over the training records.")
@click.option("--model-size", type=int, default=None, help="Network width d (paper: 50).")
@click.option("--batch-size", type=int, default=None, help="Global batch (default 32).")
@click.option("--seed", type=int, default=None, help="Seed of every random draw (default 0).")
@click.option("--device", default=None, help="cpu, cuda or cuda:K (default: cuda when available).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--config", "config_file", type=click.Path(), default=None,
              help="TOML file of TrainConfig fields (and a [data] table); options override it.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def train_command(model, data_path, data_filter, out, steps, epochs, model_size, batch_size, seed,
                  device, resume, config_file, quiet):
    """Train a GAN (WGAN-GP) on your ECGs into a run directory for `generate --model RUN_DIR`.

    Under `torchrun --nproc-per-node P -m synthecg train ...` the processes share each batch
    (DistributedDataParallel). SIGTERM or Ctrl-C writes a checkpoint; --resume continues.
    """
    from ..errors import SynthECGError
    from ..training import configure, train

    if steps is not None and epochs is not None:
        raise SynthECGError("--steps and --epochs: give one or the other")
    config = configure(out, resume=resume, file=config_file, model=model, data_path=data_path,
                       data_filter=data_filter, steps=steps, epochs=epochs, model_size=model_size,
                       batch_size=batch_size, seed=seed, device=device)
    result = train(config, out, resume=resume, progress=False if quiet else None,
                   echo=lambda line: click.echo(line, err=True))
    if not _is_rank_zero():
        return
    best = "" if result.best_score is None else \
        f"; best fidelity proxy {result.best_score:.3f} at step {result.best_step}"
    if result.interrupted:
        click.echo(f"interrupted ({result.interrupted}) at step {result.step}/{result.steps}: "
                   f"checkpoint written; run the same command with --resume to continue", err=True)
        raise click.exceptions.Exit(130)
    stopped = " (early stop)" if result.early_stopped else " (time limit)" if result.timed_out else ""
    click.echo(f"trained {result.step}/{result.steps} steps{stopped} in {result.seconds:.0f} s{best}")
    click.echo(f"run directory: {out} (synthecg generate --model {out} ...)")

@cli.command("evaluate")
@click.option("--real", "real", type=click.Path(), multiple=True, required=True,
              help="Real ECGs the generator was trained on (file, folder or training run "
                   "directory; repeat to combine folders).")
@click.option("--holdout", type=click.Path(), multiple=True,
              help="Real ECGs of the same population that were NOT trained on.")
@click.option("--synthetic", type=click.Path(), required=True, help="Synthetic ECGs (file or folder).")
@click.option("--out", "out", type=click.Path(), required=True,
              help="Report folder: report.html, metrics.json and the figures (PNG).")
@click.option("--gate", is_flag=True,
              help="Exit with status 3 when the privacy verdict is not pass or a fidelity flag is raised.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random step.")
@click.option("--filter", "real_filter", default=None,
              help="Keep only real ECGs with these labels: 'normal' or comma-separated SNOMED codes.")
@click.option("--holdout-fraction", type=float, default=None,
              help="Without --holdout: hold out this share of --real (split by --seed).")
@click.option("--max-synthetic", type=int, default=None, help="Subsample the synthetic set (seeded).")
@click.option("--max-real", type=int, default=None, help="Subsample each real set (seeded).")
@click.option("--cache-dir", type=click.Path(), default=None,
              help="Measurement cache (default ~/.cache/synthecg/measurements or $SYNTHECG_CACHE_DIR).")
@click.option("--no-cache", is_flag=True, help="Measure without reading or writing the cache.")
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
def evaluate_command(real, holdout, synthetic, out, gate, seed, real_filter, holdout_fraction,
                     max_synthetic, max_real, cache_dir, no_cache, overwrite, quiet):
    """Evaluate synthetic ECGs against real ones: fidelity, diversity and a privacy audit,
    written as one self-contained HTML report plus metrics.json."""
    from ..evaluate import evaluate, write_report
    from ..evaluate.evaluation import check_report_dir

    check_report_dir(out, overwrite)  # refuse before minutes of work, not after

    def one(paths):
        return None if not paths else paths[0] if len(paths) == 1 else list(paths)

    result = evaluate(one(real), synthetic, one(holdout), seed=seed, real_filter=real_filter,
                      holdout_fraction=holdout_fraction, max_synthetic=max_synthetic,
                      max_real=max_real, cache_dir=False if no_cache else cache_dir,
                      progress=False if quiet else None)
    written = write_report(result, out, overwrite=overwrite)
    summary = result.summary()
    click.echo("fidelity: {verdict} ({n_flags} flags); diversity: {d}; privacy: {p}".format(
        **summary["fidelity"], d=summary["diversity"]["verdict"], p=summary["privacy"]["verdict"]))
    click.echo(f"report: {written['report.html']}")
    failures = result.gate_failures()
    if gate and failures:
        click.echo(f"gate: fails ({'; '.join(failures)})", err=True)
        raise click.exceptions.Exit(3)


def _is_rank_zero() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"
