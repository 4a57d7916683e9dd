#!/usr/bin/env python3
"""The work of `ferdash bench --arch vgg7|vgg8|vgg9`, done by PyTorch or TensorFlow/Keras on the CPU,
so the two can be compared in one run on one machine. `../shared/bench/vgg7_reference.py` covers
vgg7 only; this covers every VGG-style network ferdash has, built from the same block list as
NetworkFactory.vggStyle (Sources/FERModel/Network.swift):

  conv (5x5 first, then 3x3) + BN + ReLU per width, a 2x2 max-pool after each block,
  flatten -> dense 256 + BN + ReLU + dropout 0.5 -> dense 7.

Timed: a training step at batch 128 (forward, cross-entropy with label smoothing 0.1, backward,
AdamW lr 2e-3 weight decay 0.05), inference at batch 128, batch-1 latency; medians. Prints one
line 'RESULT {json}' like ferdash bench --json.

usage: peer-bench.py -f torch|tf --arch vgg7|vgg8|vgg9 [--threads 2] [--steps 30]
Needs torch or tensorflow in the Python that runs it (a virtual environment outside the repo)."""
import argparse, json, os, resource, statistics, time

BLOCKS = {"vgg7": [[32], [64, 64], [128, 128]],
          "vgg8": [[32], [64, 64], [128, 128], [256]],
          "vgg9": [[32], [64, 64], [128, 128, 128], [384]]}

ap = argparse.ArgumentParser()
ap.add_argument("-f", "--framework", choices=["torch", "tf"], default="torch")
ap.add_argument("--arch", choices=sorted(BLOCKS), default="vgg9")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=30)
ap.add_argument("--batch", type=int, default=128)
args = ap.parse_args()
# Before the framework is imported: its thread pools read these once.
for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
    os.environ[name] = str(args.threads)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np

blocks = BLOCKS[args.arch]
side = 48 >> len(blocks)                      # each block halves the side
flat = side * side * blocks[-1][-1]
rng = np.random.default_rng(0)
images = [rng.random((args.batch, 48, 48, 1), dtype=np.float32) for _ in range(4)]
labels = [rng.integers(0, 7, args.batch) for _ in range(4)]


def median_seconds(fn, runs, warmup=3):
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def convs():
    """(input channels, output channels, kernel, pool after) for every convolution."""
    layers, channels = [], 1
    for widths in blocks:
        for i, width in enumerate(widths):
            layers.append((channels, width, 5 if channels == 1 else 3, i == len(widths) - 1))
            channels = width
    return layers


if args.framework == "torch":
    import torch
    import torch.nn as nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    body = []
    for cin, cout, k, pool in convs():
        body += [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU()]
        body += [nn.MaxPool2d(2)] if pool else []
    net = nn.Sequential(*body, nn.Flatten(), nn.Linear(flat, 256), nn.BatchNorm1d(256), nn.ReLU(),
                        nn.Dropout(0.5), nn.Linear(256, 7))
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=0.05)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    xs = [torch.from_numpy(x).permute(0, 3, 1, 2).contiguous() for x in images]
    ys = [torch.from_numpy(y) for y in labels]

    def train(i):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(net(xs[i % 4]), ys[i % 4])
        loss.backward()
        optimizer.step()
        loss.item()

    def infer(x):
        with torch.no_grad():
            net(x).numpy()

    net.train()
    train_s = median_seconds(train, args.steps)
    net.eval()
    infer_s = median_seconds(lambda i: infer(xs[i % 4]), args.steps)
    latency_s = median_seconds(lambda i: infer(xs[0][:1]), 200, 20)
    version = torch.__version__
else:
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.random.set_seed(0)
    L = tf.keras.layers
    body = [L.Input((48, 48, 1))]
    for _, cout, k, pool in convs():
        body += [L.Conv2D(cout, k, padding="same"), L.BatchNormalization(), L.ReLU()]
        body += [L.MaxPooling2D()] if pool else []
    net = tf.keras.Sequential(body + [L.Flatten(), L.Dense(256), L.BatchNormalization(), L.ReLU(),
                                      L.Dropout(0.5), L.Dense(7)])
    optimizer = tf.keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=0.05)
    loss_fn = tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    xs = [tf.constant(x) for x in images]
    ys = [tf.one_hot(y, 7) for y in labels]

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, net(x, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, net.trainable_variables), net.trainable_variables))
        return loss

    @tf.function
    def forward(x):
        return net(x, training=False)

    train_s = median_seconds(lambda i: step(xs[i % 4], ys[i % 4]).numpy(), args.steps)
    infer_s = median_seconds(lambda i: forward(xs[i % 4]).numpy(), args.steps)
    latency_s = median_seconds(lambda i: forward(xs[0][:1]).numpy(), 200, 20)
    version = tf.__version__

print("RESULT " + json.dumps({
    "framework": args.framework, "version": version, "arch": args.arch, "threads": args.threads,
    "train_img_s": round(args.batch / train_s, 1), "infer_img_s": round(args.batch / infer_s, 1),
    "latency_ms": round(latency_s * 1e3, 3),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
