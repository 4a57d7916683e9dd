#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora and dictionaries under Tests/FuzzReplayTests/ from synthetic
inputs only (no real faces or data): small valid files of every format and variant the parsers
handle, so coverage-guided mutation starts from inside each format. Needs libjpeg's `cjpeg`
(Debian: libjpeg-turbo-progs) for the JPEG seeds. Run once; the output is committed."""
import gzip, os, shutil, struct, subprocess, sys, tempfile, zlib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "FuzzReplayTests")
corpus = os.path.join(root, "corpus")
dicts = os.path.join(root, "dictionaries")

def put(target, name, data):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# --- CSV: fer2013 with Usage, the seed's Emotion,Pixels, quoting, CRLF, a bad row
def pixels(k):
    return " ".join(str((i * k) % 256) for i in range(2304))
fer = "emotion,pixels,Usage\n" + "".join(f"{l},{pixels(l + 1)},{u}\n" for l, u in [(0, "Training"), (3, "PublicTest"), (6, "PrivateTest")])
put("csv", "synthetic-fer2013-layout.csv", fer)
put("csv", "synthetic-seed-layout.csv", "Emotion,Pixels\r\n" + "".join(f'{l},"{pixels(l + 2)}"\r\n' for l in (1, 4)))
put("csv", "short-row.csv", "emotion,pixels,Usage\n2,1 2 3,Training\n")
put("csv", "usage-first.csv", "Usage,emotion,pixels\nTraining,5," + " ".join(["7"] * 2304) + "\n")
put("csv-gzip", "synthetic-fer2013-layout.csv.gz", gzip.compress(fer.encode(), mtime=0))
put("csv-gzip", "two-members.csv.gz", gzip.compress(fer[:40].encode(), mtime=0) + gzip.compress(fer[40:].encode(), mtime=0))
put("csv-gzip", "plain-text-compressed-by-harness.csv", "emotion,pixels\n4," + " ".join(["9"] * 2304) + "\n")

# --- images from tiny synthetic gradients: PNGs encoded here, JPEGs by libjpeg's cjpeg
def png(width, height, color_type, depth, rows, palette=None, trns=None):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(bytes([i % 5]) + row for i, row in enumerate(rows))  # every filter type
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    if palette: out += chunk(b"PLTE", palette)
    if trns: out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
W, H = 8, 6
gray = [bytes((x * 32 + y * 8) % 256 for x in range(W)) for y in range(H)]
put("png", "gray8.png", png(W, H, 0, 8, gray))
put("png", "gray16.png", png(W, H, 0, 16, [b"".join(struct.pack(">H", v * 257) for v in r) for r in gray]))
put("png", "gray2.png", png(W, H, 0, 2, [bytes([0b00011011, 0b11100100]) for _ in range(H)]))
put("png", "gray-alpha.png", png(W, H, 4, 8, [bytes(v for p in r for v in (p, 200)) for r in gray]))
put("png", "rgb.png", png(W, H, 2, 8, [bytes(v for p in r for v in (p, 255 - p, p // 2)) for r in gray]))
put("png", "rgba.png", png(W, H, 6, 8, [bytes(v for p in r for v in (p, 255 - p, 9, p)) for r in gray]))
put("png", "palette.png", png(W, H, 3, 8, [bytes(p % 4 for p in r) for r in gray], palette=bytes(range(12)), trns=b"\x00\x80"))

tmp = tempfile.mkdtemp()
def cjpeg(pnm, *args):
    src = os.path.join(tmp, "in.pnm")
    open(src, "wb").write(pnm)
    return subprocess.run(["cjpeg", "-quality", "80", *args, src], check=True, capture_output=True).stdout
gray_pgm = b"P5 16 16 255\n" + bytes((x * 16 + y) % 256 for y in range(16) for x in range(16))
rgb_ppm = b"P6 16 8 255\n" + bytes((i * 7) % 256 for i in range(16 * 8 * 3))
jpeg_gray = cjpeg(gray_pgm)
jpeg_rgb = cjpeg(rgb_ppm)
put("jpeg", "gray.jpg", jpeg_gray)
put("jpeg", "rgb.jpg", jpeg_rgb)
put("jpeg", "progressive.jpg", cjpeg(rgb_ppm, "-progressive"))
put("jpeg", "restart.jpg", cjpeg(gray_pgm, "-restart", "1"))
shutil.rmtree(tmp)

def with_exif(jpeg, orientation, big_endian):
    e = ">" if big_endian else "<"
    tiff = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(e + "I", 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(e + "I", 0)
    body = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]
for o, be in [(6, False), (3, True), (8, False)]:
    data = with_exif(jpeg_gray, o, be)
    put("jpeg", f"exif-{o}.jpg", data)
    put("exif", f"exif-{o}-{'be' if be else 'le'}.jpg", data[:64])
put("exif", "no-exif.jpg", jpeg_rgb[:64])

# --- PGM / PPM, binary and ASCII, 8 and 16 bit
ramp = bytes(range(0, 240, 10))  # 24 values
put("pnm", "p5.pgm", b"P5\n# synthetic\n6 4\n255\n" + ramp)
put("pnm", "p5-16bit.pgm", b"P5 3 2 65535\n" + b"".join(struct.pack(">H", v * 9000) for v in range(6)))
put("pnm", "p6.ppm", b"P6\n4 2\n255\n" + ramp)
put("pnm", "p2.pgm", b"P2\n3 2\n15\n0 3 6\n9 12 15\n")
put("pnm", "p3.ppm", b"P3\n2 1\n255\n255 0 0  0 0 255\n")

# --- checkpoints: versions 1 (training), 2 (inference: values only) and 3 (training with the
#     weights' moving average: value, m, v, average) with the fuzz target's small
#     layout (w: 3 floats, b: 2), FNV-1a 64 checksum
def fnv(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h
def s(text):
    raw = text.encode()
    return struct.pack("<I", len(raw)) + raw
def checkpoint(arch, metadata, tensors, step=7, version=1):
    arrays = {1: 3, 2: 1, 3: 4}[version]
    out = b"FERDASH\x00" + struct.pack("<I", version) + s(arch) + struct.pack("<I", len(metadata))
    for k in sorted(metadata):
        out += s(k) + s(metadata[k])
    out += struct.pack("<5f", 1e-3, 1e-2, 0.9, 0.999, 1e-7) + struct.pack("<Q", step) + struct.pack("<4Q", 1, 2, 3, 4)
    out += struct.pack("<I", len(tensors))
    for name, n in tensors:
        out += s(name) + struct.pack("<Q", n) + struct.pack(f"<{arrays * n}f", *[0.5 * i for i in range(arrays * n)])
    return out + struct.pack("<Q", fnv(out))
good = checkpoint("seed", {"step": "7", "dataset": "synthetic"}, [("w", 3), ("b", 2)])
put("checkpoint", "small.ferdash", good)
put("checkpoint", "vgg7-header.ferdash", checkpoint("vgg7", {}, [("w", 3), ("b", 2)])[:120])
put("checkpoint", "bad-checksum.ferdash", good[:-1] + bytes([good[-1] ^ 1]))
put("checkpoint", "inference.ferdash", checkpoint("seed", {"step": "7"}, [("w", 3), ("b", 2)], version=2))
put("checkpoint", "averaged.ferdash", checkpoint("seed", {"step": "7", "weight_average_decay": "0.999"},
                                                 [("w", 3), ("b", 2)], version=3))

# --- a Haar cascade in OpenCV's format (hand-made 6x6, two stages)
put("cascade", "tiny.xml", """<?xml version="1.0"?>
<opencv_storage>
<cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
  <featureType>HAAR</featureType><height>6</height><width>6</width><stageNum>2</stageNum>
  <stages>
    <_><maxWeakCount>1</maxWeakCount><stageThreshold>0.</stageThreshold>
      <weakClassifiers><_><internalNodes>0 -1 0 1.0e-01</internalNodes><leafValues>-1. 1.</leafValues></_></weakClassifiers></_>
    <_><maxWeakCount>1</maxWeakCount><stageThreshold>0.</stageThreshold>
      <weakClassifiers><_><internalNodes>0 1 1 0. -1 -2 0 0.5</internalNodes><leafValues>-2. 0.5 1.5</leafValues></_></weakClassifiers></_></stages>
  <features>
    <_><rects><_>0 0 6 6 -1.</_><_>3 0 3 6 2.</_></rects></_>
    <_><rects><_>0 0 6 6 -1.</_><_>0 3 6 3 2.</_></rects><tilted>0</tilted></_></features></cascade>
</opencv_storage>
""")

# --- metrics.jsonl: the records a run writes (shapes as in RunDirectory/TrainingSession), a torn last line
start = ('{"event":"started","step":0,"time":1795996657.86,"dataset":"few.csv","dataset_path":"/tmp/few.csv","split_seed":"0",'
         '"skip_bad_rows":false,"train_count":32,"validation_count":4,"test_count":4,"architecture":"seed","total_steps":4,'
         '"batch_size":8,"steps_per_epoch":4,"eval_every":2,"seed":"0","recipe":{"architecture":"seed","schedule":"constant"},'
         '"command":"ferdash train --arch seed","pid":17022,"host":"vm"}\n')
steps = "".join(f'{{"step":{i},"epoch":{i / 4},"loss":1.97{i},"lr":0.001,"images_per_s":41.5,"train_seconds":0.{i}}}\n' for i in (1, 2))
evaluation = ('{"step":2,"val_loss":1.92,"val_accuracy":0.25,"val_recall":[0.0,0.0,0.0,1.0,0.0,0.0,0.0],'
              '"confusion":[[0,0,0,0,0,0,0],[0,0,0,0,0,0,0],[0,0,0,1,0,0,0],[0,0,0,1,0,0,0],[0,0,0,0,0,0,0],[0,0,0,1,0,0,0],[0,0,0,1,0,0,0]]}\n')
put("metrics", "run.jsonl", start + steps + evaluation + '{"event":"finished","step":4,"total_steps":4,"train_seconds":0.6,"time":1795996658.1}\n')
put("metrics", "failed.jsonl", start + steps + '{"event":"failed","step":2,"message":"cannot write \\"x\\": No space left on device\\n\\u0001","time":1.5e9}\n')
put("metrics", "torn.jsonl", start + steps + '{"event":"replanned","step":2,"total_steps":3}\r\n{"step":3,"epoch":0.7')

# --- dictionaries (libFuzzer format)
os.makedirs(dicts, exist_ok=True)
def dictionary(target, words):
    def quote(w):
        return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\x{b:02x}" for b in w) + '"'
    with open(os.path.join(dicts, target + ".dict"), "w") as f:
        f.write("".join(quote(w if isinstance(w, bytes) else w.encode()) + "\n" for w in words))
csv_words = ["emotion", "pixels", "Usage", "Emotion", "Pixels", "Training", "PublicTest", "PrivateTest", ",", '"', "\r\n", " 255", "\n"]
dictionary("csv", csv_words)
dictionary("csv-gzip", csv_words + [b"\x1f\x8b\x08\x00"])
dictionary("png", [b"\x89PNG\r\n\x1a\n", "IHDR", "IDAT", "IEND", "PLTE", "tRNS", "gAMA", "iCCP", "sRGB", "cHRM", "bKGD", "sBIT", b"\x00\x00\x00\x0d"])
dictionary("jpeg", [b"\xff\xd8", b"\xff\xd9", b"\xff\xc0", b"\xff\xc1", b"\xff\xc2", b"\xff\xc4", b"\xff\xdb", b"\xff\xdd", b"\xff\xda", b"\xff\xe0", b"\xff\xe1", b"\xff\xee", "Exif\x00\x00", "JFIF\x00", "Adobe"])
dictionary("pnm", ["P2", "P3", "P5", "P6", "#", "255", "65535", "\n"])
dictionary("exif", [b"\xff\xd8", b"\xff\xe1", b"\xff\xda", "Exif\x00\x00", "II*\x00", "MM\x00*", b"\x01\x12", b"\x12\x01", b"\x00\x03", b"\x03\x00"])
dictionary("checkpoint", [b"FERDASH\x00", b"\x01\x00\x00\x00", "seed", "vgg7", b"\x02\x00\x00\x00", b"\x01\x00\x00\x00w", b"\x01\x00\x00\x00b", b"\x03\x00\x00\x00\x00\x00\x00\x00"])
dictionary("cascade", ["<cascade>", "</cascade>", "<stages>", "<_>", "</_>", "<features>", "<rects>", "<tilted>1</tilted>", "<internalNodes>", "<leafValues>",
                       "<stageNum>", "<maxWeakCount>", "<stageThreshold>", "<weakClassifiers>", "<width>", "<height>", "<featureType>HAAR</featureType>",
                       "<stageType>BOOST</stageType>", "<opencv_storage>", "-1.", "1e308", "nan", "<![CDATA[", "&amp;"])
dictionary("metrics", ['"event"', '"step"', '"started"', '"resumed"', '"finished"', '"stopped"', '"failed"', '"replanned"', '"loss"', '"val_loss"',
                        '"val_accuracy"', '"val_recall"', '"confusion"', '"epoch"', '"lr"', '"recipe"', '"time"', "null", "true", "false", "1e308", "-0", "\\u0000", "\\ud800", "[[", "]]", "{}", ":", ","])
print("seeds written under", os.path.relpath(root))
