"""`make validate`: the predicted latency against onnxruntime on models it was not fitted on.

Builds the models of scripts/validate_models.py in memory (float, and their int8 QDQ and
dynamic-quant twins made by onnxruntime's quantization tool), predicts each with this
machine's calibration (`onnx-cost devices calibrate`, run first when missing), measures
each with onnxruntime (default optimizations and threads: median of the timed runs), and
prints the nn-Meter-style table: share of models within ±10 % and ±25 %, median |error|,
per-node rank correlation (predicted vs profiled time per kernel), and whether the floor
ever came out above the measurement. `--save-band` writes the measured band into the
calibration file, where the prediction's error band is read from.

By default the calibration and the measurements are interleaved (``--rounds``, 5): each
round runs every calibration benchmark once, then times every model once, and is a whole
experiment: the device model fitted on that round's benchmarks predicts each model, compared
with that round's measurement. A model's error is the median over the rounds of its
rounds' errors. On a shared host whose speed shifts by tens of percent within a minute
(docs/hardware.md), this pairs each prediction with a measurement taken in the same machine
state, as a user's calibration precedes their use of it (each round's device is fitted on
that round alone). The printed predicted and measured times are the medians over the
rounds, so the printed error is not their ratio. The previous protocol's figures
(the device fitted on each benchmark's median over the rounds against each model's median
over the rounds) are printed below the table. The calibrations are written to a temporary
directory, never to the user's cache.
``--cached`` instead predicts with this machine's cached calibration (``--recalibrate``:
redone first) and measures once, as ``--measure`` does.

Usage: python scripts/validate.py [--only NAME] [--rounds N | --cached [--recalibrate]] [--save-band]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from validate_models import MODELS, quantized

from onnx_cost import api
from onnx_cost.runners.calibrate import (
    bench_round,
    bench_sessions,
    cache_path,
    calibrate,
    device_info,
    device_toml,
    fit,
    ort_session,
    samples_of,
)
from onnx_cost.runners.measure import kernel_times, random_inputs, rank_correlation
from onnx_cost.views.hardware.devices import load_device_file
from onnx_cost.views.hardware.predict import predict


def profile_events(data: bytes, feeds: dict[str, Any], threads: int, tmp: str) -> Any:
    """onnxruntime's profile of 5 runs of the model (per-node events)."""
    sess = ort_session(data, threads, os.path.join(tmp, "p"))
    for _ in range(5):
        sess.run(None, feeds)
    with open(sess.end_profiling(), encoding="utf-8") as fh:
        return json.load(fh)


def measure(data: bytes, feeds: dict[str, Any], threads: int, clock: Any, tmp: str) -> tuple[float, float, Any]:
    """One model measured once (``--cached``): (median, best, profile events)."""
    med, best = time_runs(ort_session(data, threads), feeds, 0.6, clock)
    return med, best, profile_events(data, feeds, threads, tmp)


def time_runs(sess: Any, feeds: dict[str, Any], budget_s: float, clock: Any) -> tuple[float, float]:
    """(median, best) of ``sess.run`` over ``budget_s`` (10 to 200 runs) after 3 warm-up runs."""
    for _ in range(3):
        sess.run(None, feeds)
    times: list[float] = []
    while len(times) < 10 or (sum(times) < budget_s and len(times) < 200):
        t0 = clock()
        sess.run(None, feeds)
        times.append(clock() - t0)
    return statistics.median(times), min(times)


def paired(variants: list[tuple[str, Any]], rounds: int, threads: int, clock: Any,
           tmp: str) -> tuple[Any, dict[str, tuple[float, float, Any]], list[tuple[Any, dict[str, float]]]]:
    """The interleaved protocol: per round, the calibration benchmarks then every model, each
    in a session made for it and dropped after (as calibration does). Returns (the device
    fitted on the benchmarks' medians over the rounds, name -> (median over the rounds of
    each round's median, best run, profile events), per round (the device fitted on that
    round's benchmarks, name -> that round's median))."""
    benches = bench_sessions(threads)
    models = [(name, m.SerializeToString(), random_inputs(api.analyze(m))) for name, m in variants]
    cal: dict[str, list[tuple[float, float]]] = {}
    got: dict[str, list[tuple[float, float]]] = {}
    t0 = time.perf_counter()
    for r in range(rounds):
        for name, t in bench_round(benches, 0.12, threads, clock).items():
            cal.setdefault(name, []).append(t)
        for name, data, feeds in models:
            sess = ort_session(data, threads)
            got.setdefault(name, []).append(time_runs(sess, feeds, 0.3, clock))
            del sess
        print(f"  round {r + 1}/{rounds} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    timed = {n: (statistics.median(m for m, _ in v), min(b for _, b in v)) for n, v in cal.items()}
    spread = statistics.median(max(m for m, _ in v) / min(m for m, _ in v) - 1 for v in cal.values())
    info = device_info(threads, clock is time.thread_time, spread, rounds, time.perf_counter() - t0)

    def device_of(t: dict[str, tuple[float, float]], path: Path) -> Any:
        eff, figures = fit(samples_of(benches, t))
        path.write_text(device_toml(eff, figures, info), encoding="utf-8")
        return load_device_file(str(path))

    per_round = [(device_of({n: v[r] for n, v in cal.items()}, Path(tmp) / f"round{r + 1}.toml"),
                  {name: got[name][r][0] for name in got}) for r in range(rounds)]
    device = device_of(timed, Path(tmp) / "paired.toml")
    out = {}
    for name, data, feeds in models:
        v = got[name]
        out[name] = (statistics.median(m for m, _ in v), min(b for _, b in v),
                     profile_events(data, feeds, threads, tmp))
    return device, out, per_round


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of calibration and measurement")
    ap.add_argument("--cached", action="store_true",
                    help="predict with this machine's cached calibration and measure once (not interleaved)")
    ap.add_argument("--recalibrate", action="store_true", help="with --cached: calibrate again first")
    ap.add_argument("--save-band", action="store_true")
    ap.add_argument("--device-out", metavar="PATH", help="also write the interleaved rounds' device file here")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--threads", type=int, default=0,
                    help="onnxruntime intra-op threads for calibration and measurement (0: its default); "
                         "not the default: calibrates into a separate file under /tmp")
    ap.add_argument("--cpu-time", action="store_true",
                    help="with --threads 1: time the thread's CPU time, not the wall clock (a busy machine's "
                         "waits left out; for developing the model on a shared machine, not for the published table)")
    args = ap.parse_args()

    t_start = time.perf_counter()
    cpu = args.cpu_time and args.threads == 1
    clock = time.thread_time if cpu else time.perf_counter
    rows = []
    pooled: list[float] = []  # the previous protocol's errors: medians over the rounds compared
    per_round: list[tuple[Any, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        variants: list[tuple[str, Any]] = []
        for name, (build, twins) in MODELS.items():
            if args.only and args.only not in name:
                continue
            base = build()
            variants += [(name, base)] + [(f"{name}-{'int8-qdq' if t == 'static' else 'dyn-int8'}",
                                           quantized(base, t, tmp)) for t in twins]
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        if args.cached:
            path = cache_path() if not args.threads else \
                Path(tempfile.gettempdir()) / f"onnx-cost-{args.threads}t{'-cpu' if cpu else ''}.toml"
            if args.recalibrate or not path.is_file():
                print(f"calibrating this machine (written to {path}) ...", flush=True)
                calibrate(path, progress=lambda s: print("  " + s, flush=True), threads=args.threads, cpu_time=cpu)
            device = load_device_file(str(path))
            timed = {vname: measure(m.SerializeToString(), random_inputs(api.analyze(m)), args.threads, clock, tmp)
                     for vname, m in variants}
        else:
            path = cache_path()
            print(f"calibrating and measuring interleaved, {args.rounds} rounds ...", flush=True)
            device, timed, per_round = paired(variants, args.rounds, args.threads, clock, tmp)
            if args.device_out:
                shutil.copyfile(Path(tmp) / "paired.toml", args.device_out)
        cal = device.efficiency.info if device.efficiency else {}
        print(f"device: {device.name}; calibrated {cal.get('date', '?')}, onnxruntime {cal.get('onnxruntime', '?')}, "
              f"spread {cal.get('spread', 0):.0%} ({'cached' if args.cached else 'interleaved with the measurements'})")
        for vname, m in variants:
            report = api.analyze(m)
            pred = predict(report, device)
            measured, best, events = timed[vname]
            per_kernel = kernel_times(events, pred)
            pairs = [(p, t) for p, t in per_kernel.values() if t > 0]
            rho = rank_correlation([p for p, _ in pairs], [t for _, t in pairs])
            err = pred.predicted_s / measured - 1
            predicted_s = pred.predicted_s
            if per_round:  # each round's prediction against that round's measurement
                pooled.append(err)
                preds = [predict(report, d).predicted_s for d, _ in per_round]
                err = statistics.median(p / got[vname] - 1 for p, (_, got) in zip(preds, per_round))
                predicted_s = statistics.median(preds)
            rows.append((vname, predicted_s, pred.floor_s, measured, err, rho, len(pairs), best))
            print(f"{vname:28s} predicted {predicted_s * 1e3:8.3f} ms  floor {pred.floor_s * 1e3:8.3f} ms  "
                  f"measured {measured * 1e3:8.3f} ms (best {best * 1e3:8.3f})  error {err:+6.1%} "
                  f"(vs best {predicted_s / best - 1:+6.1%})  rank rho "
                  f"{'-' if rho is None else f'{rho:.2f}'} ({len(pairs)} kernels)"
                  + ("  FLOOR ABOVE MEASUREMENT" if pred.floor_s > measured else ""), flush=True)
            if args.verbose:
                for k, (p, t) in sorted(per_kernel.items(), key=lambda kv: -kv[1][1])[:12]:
                    print(f"    {k[:50]:50s} pred {p * 1e6:9.1f} us  measured {t * 1e6:9.1f} us")
    errs = [abs(r[4]) for r in rows]
    rhos = [r[5] for r in rows if r[5] is not None]
    n = len(rows)
    print()
    print("| models | within ±10 % | within ±25 % | median abs error | worst error | median per-node rank "
          "correlation | floor above measurement |")
    print("|---|---|---|---|---|---|---|")
    worst = max(rows, key=lambda r: abs(r[4]))
    print(f"| {n} | {sum(e <= 0.10 for e in errs)}/{n} ({sum(e <= 0.10 for e in errs) / n:.0%}) | "
          f"{sum(e <= 0.25 for e in errs)}/{n} ({sum(e <= 0.25 for e in errs) / n:.0%}) | "
          f"{statistics.median(errs):.1%} | {worst[4]:+.0%} ({worst[0]}) | "
          f"{statistics.median(rhos) if rhos else float('nan'):.2f} | {sum(r[2] > r[3] for r in rows)} |")
    if pooled:
        pe = [abs(e) for e in pooled]
        print(f"\nerror per model as each round's prediction against that round's measurement, median over the "
              f"rounds; the medians over the rounds compared instead: median |error| {statistics.median(pe):.1%}, "
              f"within ±10 % {sum(e <= 0.10 for e in pe)}/{n}, within ±25 % {sum(e <= 0.25 for e in pe)}/{n}, "
              f"worst {max(pooled, key=abs):+.0%}")
    best_errs = sorted(abs(r[1] / r[7] - 1) for r in rows)
    print(f"\nagainst each model's best run instead of its median: median |error| {statistics.median(best_errs):.1%},"
          f" within ±25 % {sum(e <= 0.25 for e in best_errs)}/{n}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; {time.perf_counter() - t_start:.0f} s")
    if args.save_band and path.is_file():
        from onnx_cost.runners.calibrate import save_band

        band = sorted(errs)[int(0.9 * (n - 1))]  # the 90th percentile of |error|
        save_band(path, band)
        print(f"band ±{band:.0%} (90th percentile of |error|) saved in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
