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
@click.option("--batch-size", type=int, default=None, help="ECGs per forward pass (speed only).")
@click.option("--shard-size", type=int, default=1000, show_default=True, help="ECGs per shard file.")
@click.option("--leads", type=click.Choice(["8", "12"]), default="12", show_default=True,
              help="12 standard leads, or the 8 independent ones (I, II, V1-V6).")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(n, seed, out, model, file_format, batch_size, shard_size, leads, device, quiet):
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
                                progress=False if quiet else None)
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
              help="Summarise at most this many ECGs (0 = all).")
def info(path, limit):
    """Describe the ECGs in PATH (a file or generation folder), one line per ECG."""
    from ..io import iter_batches
    from ..summary import describe_batch, summary_line

    shown = 0
    for batch in iter_batches(path, batch_size=256):
        if shown == 0:
            click.echo(describe_batch(batch, path))
        for i in range(len(batch)):
            if limit and shown >= limit:
                click.echo(f"... (more ECGs not shown; --limit 0 shows all)")
                return
            click.echo(summary_line(batch, i))
            shown += 1


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


def _is_rank_zero() -> bool:
    import os

    return os.environ.get("RANK", "0") == "0"
