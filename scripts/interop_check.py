"""TensorBoard and ONNX round trips through the real consumers (run by scripts/interop.sh).

TensorBoard: short headless runs of both networks; their event files are read back with the
tensorboard package's own readers, and every scalar (tag, step, value) must equal what
metrics.jsonl records for it, with nothing missing and nothing extra. A copy of an event file
with one value altered must fail the same comparison, so the check is known to be able to fail.

ONNX: the checkpoints of those runs are exported; onnx's checker (full_check) must accept the
files and onnxruntime's probabilities on 256 synthetic faces must be within 1e-4 of
`ferdash predict --no-detect --json` on the same faces (written by `ferdash synth` as PNGs and as
the CSV that Python reads the identical pixels from).

Video tables: `ferdash video` on a scripted video of synthetic faces, as CSV and as JSON Lines;
pandas reads both with the column types the README documents (nullable integers where a frame
with no face leaves a field empty), and the two agree row for row.

Usage: interop_check.py path/to/ferdash WORKDIR
"""
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import pandas as pd
import onnxruntime
from tensorboard.backend.event_processing import event_accumulator, event_file_loader

CLASSES = ["anger", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
TOLERANCE = 1e-4
IMAGES = 256

ferdash, work = sys.argv[1], sys.argv[2]
results = []


def report(name, ok, detail):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}: {name}: {detail}", flush=True)


def run(*args):
    """Runs ferdash; returns stdout, or raises with its stderr."""
    done = subprocess.run([ferdash, *args], cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ferdash {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-600:]}")
    return done.stdout


# --- TensorBoard -------------------------------------------------------------------------------

def expected_scalars(run_dir):
    """(tag, step) → float32 value, from metrics.jsonl."""
    expected = {}
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            step = record.get("step")
            if "event" in record:
                continue
            if "loss" in record:
                values = {"train/loss": record["loss"], "train/learning_rate": record["lr"],
                          "train/images_per_s": record["images_per_s"]}
            elif "val_loss" in record:
                values = {"val/loss": record["val_loss"], "val/accuracy": record["val_accuracy"]}
                values.update({f"val/recall/{c}": r for c, r in zip(CLASSES, record["val_recall"], strict=True)})
            else:
                raise ValueError(f"{run_dir}/metrics.jsonl: unexpected line {line.strip()[:80]}")
            for tag, value in values.items():
                expected[(tag, step)] = np.float32(value)
    return expected


def logged_scalars(run_dir):
    """(tag, step) → float32 value as TensorBoard reads it; plus any duplicated keys."""
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    logged, duplicates = {}, []
    for tag in accumulator.Tags()["scalars"]:
        for event in accumulator.Scalars(tag):
            key = (tag, event.step)
            if key in logged:
                duplicates.append(key)
            logged[key] = np.float32(event.value)
    return logged, duplicates


def compare(run_dir):
    """A list of differences between the event file and metrics.jsonl (empty: identical)."""
    expected = expected_scalars(run_dir)
    logged, duplicates = logged_scalars(run_dir)
    problems = [f"duplicate {k}" for k in duplicates]
    problems += [f"missing {k}" for k in sorted(expected.keys() - logged.keys())]
    problems += [f"extra {k}" for k in sorted(logged.keys() - expected.keys())]
    problems += [f"{k}: event file {logged[k]!r}, metrics.jsonl {expected[k]!r}"
                 for k in sorted(expected.keys() & logged.keys()) if logged[k] != expected[k]]
    return problems, len(expected)


def check_event_file(name, run_dir):
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    if len(files) != 1:
        report(name, False, f"expected one event file in {run_dir}, found {files}")
        return
    # The raw records, as TensorBoard's loader parses them: the first carries the file version.
    first = next(iter(event_file_loader.LegacyEventFileLoader(files[0]).Load()))
    if first.file_version != "brain.Event:2":
        report(name, False, f"first event has file_version {first.file_version!r}")
        return
    problems, count = compare(run_dir)
    steps = len({k[1] for k in expected_scalars(run_dir)})
    if problems:
        report(name, False, f"{len(problems)} difference(s) from metrics.jsonl: " + "; ".join(problems[:5]))
    else:
        report(name, True, f"{count} scalars at {steps} steps equal metrics.jsonl ({os.path.basename(files[0])})")


def check_altered_copy_fails(run_dir):
    """Changes the last scalar's value in a copy (CRCs fixed up or not, either way) and expects
    the comparison to notice."""
    copy = os.path.join(work, "altered-run")
    shutil.copytree(run_dir, copy)
    path = glob.glob(os.path.join(copy, "events.out.tfevents.*"))[0]
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0x40   # inside the last record's last float (4 value bytes, then the 4-byte CRC)
    open(path, "wb").write(bytes(data))
    problems, _ = compare(copy)
    report("TensorBoard check catches an altered event file", bool(problems),
           problems[0] if problems else "an altered file compared equal: the check cannot fail")


# --- ONNX -----------------------------------------------------------------------------------

def synthetic_faces():
    """Writes IMAGES faces as PNGs + CSV; returns (png paths, float32 [N,1,48,48]) in one order."""
    run("synth", "--out", "faces.csv", "--count", str(IMAGES), "--seed", "11", "--png-dir", "faces")
    pngs = sorted(glob.glob(os.path.join(work, "faces", "*.png")))
    with open(os.path.join(work, "faces.csv")) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(pngs) == IMAGES, (len(rows), len(pngs))
    for i, (row, png) in enumerate(zip(rows, pngs)):
        # PNG i is CSV row i: same index and label in its name.
        assert os.path.basename(png) == f"{i:05d}-{CLASSES[int(row['emotion'])]}.png", (png, row["emotion"])
    pixels = np.array([[int(v) for v in row["pixels"].split()] for row in rows], dtype=np.float32)
    # Exactly ferdash's arithmetic: Float(byte) / 255 in float32.
    return pngs, (pixels / np.float32(255)).reshape(IMAGES, 1, 48, 48)


def check_onnx(arch, run_dir, pngs, images):
    name = f"ONNX {arch}"
    output = os.path.join(work, f"{arch}.onnx")
    run("export", "--model", run_dir, "--output", output)
    model = onnx.load(output)
    onnx.checker.check_model(model, full_check=True)
    props = {p.key: p.value for p in model.metadata_props}
    if props.get("class_names") != ",".join(CLASSES) or "training_command" not in props:
        report(name, False, f"metadata_props lack class_names or training_command: {sorted(props)}")
        return
    session = onnxruntime.InferenceSession(output, providers=["CPUExecutionProvider"])
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if [i.name for i in inputs] != ["input"] or [o.name for o in outputs] != ["probabilities"] \
            or inputs[0].shape[1:] != [1, 48, 48] or outputs[0].shape[1:] != [7]:
        report(name, False, f"graph signature {[(i.name, i.shape) for i in inputs]} -> {[(o.name, o.shape) for o in outputs]}")
        return
    onnx_p = session.run(["probabilities"], {"input": images})[0]
    predicted = json.loads(run("predict", "--no-detect", "--json", "--model", run_dir, *pngs))
    by_file = {entry["file"]: entry["probabilities"] for entry in predicted}
    ferdash_p = np.array([[by_file[p][c] for c in CLASSES] for p in pngs], dtype=np.float64)
    difference = float(np.abs(onnx_p.astype(np.float64) - ferdash_p).max())
    agree = int((onnx_p.argmax(1) == ferdash_p.argmax(1)).sum())
    report(name, difference <= TOLERANCE,
           f"checker full_check ok; onnxruntime vs ferdash predict on {IMAGES} images: max |diff| {difference:.2e} "
           f"(limit {TOLERANCE:g}), same label on {agree}/{IMAGES}")


# --- Video tables --------------------------------------------------------------------------------

VIDEO_DTYPES = {"frame": "int64", "timestamp": "float64", "face_id": "Int64", "confidence": "float64",
                "success": "int64", "x": "Int64", "y": "Int64", "width": "Int64", "height": "Int64",
                **{c: "float64" for c in CLASSES}, "label": "string"}


def check_video_tables(run_dir):
    """The table as pandas reads it: the documented dtypes, a no-face gap as missing values."""
    run("synth", "--video", "clip.mp4", "--script", "happy:1,none:0.6,sad:1", "--size", "320x240")
    run("video", "clip.mp4", "--model", run_dir, "--csv", "clip.csv", "--headless")
    run("video", "clip.mp4", "--model", run_dir, "--jsonl", "clip.jsonl", "--headless")
    table = pd.read_csv(os.path.join(work, "clip.csv"), dtype=VIDEO_DTYPES)
    lines = pd.read_json(os.path.join(work, "clip.jsonl"), lines=True, dtype=VIDEO_DTYPES)
    assert list(table.columns) == list(VIDEO_DTYPES), list(table.columns)
    assert {str(t) for t in table.dtypes} == set(VIDEO_DTYPES.values()), table.dtypes
    gap = table[(table.timestamp > 1.05) & (table.timestamp < 1.55)]
    assert len(gap) > 0 and (gap.success == 0).all() and gap.face_id.isna().all() and gap.label.isna().all(), gap.head()
    seen = table[table.success == 1]
    assert len(seen) > 40 and not seen.face_id.isna().any(), len(seen)
    probabilities = seen[CLASSES].sum(axis=1)
    assert ((probabilities - 1).abs() < 1e-3).all(), probabilities.describe()
    assert len(lines) == len(table) and (lines.frame.values == table.frame.values).all()
    assert np.allclose(lines.timestamp.values, table.timestamp.values, atol=1e-6)
    assert (lines.face_id.fillna(-1).values == table.face_id.fillna(-1).values).all()
    report("video tables in pandas", True,
           f"{len(table)} rows, {len(gap)} no-face rows as missing values, CSV and JSON Lines agree, dtypes {sorted(set(map(str, table.dtypes)))}")


def main():
    started = time.monotonic()
    runs = {"seed": ["--steps", "60", "--eval-every", "20"],
            **{vgg: ["--steps", "12", "--eval-every", "6", "--batch-size", "64"] for vgg in ("vgg7", "vgg8", "vgg9")}}
    for arch, length in runs.items():
        try:
            run("train", "--headless", "--arch", arch, *length, "--run-dir", f"run-{arch}")
            check_event_file(f"TensorBoard {arch}", os.path.join(work, f"run-{arch}"))
        except Exception as error:
            report(f"TensorBoard {arch}", False, str(error))
    try:
        check_altered_copy_fails(os.path.join(work, "run-seed"))
    except Exception as error:
        report("TensorBoard check catches an altered event file", False, str(error))
    try:
        pngs, images = synthetic_faces()
        for arch in runs:
            try:
                check_onnx(arch, os.path.join(work, f"run-{arch}"), pngs, images)
            except Exception as error:
                report(f"ONNX {arch}", False, str(error))
    except Exception as error:
        report("ONNX test images", False, str(error))
    try:
        check_video_tables(os.path.join(work, "run-seed"))
    except Exception as error:
        report("video tables in pandas", False, str(error))
    print(f"interop checks took {time.monotonic() - started:.0f} s")
    print(f"interop: {sum(results)} passed, {len(results) - sum(results)} failed", flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
