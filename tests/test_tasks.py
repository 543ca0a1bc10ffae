"""The tasks: built-in data read from tiny files in the real on-disk formats through torchvision's own
loaders (nothing is downloaded), generated tasks reproducible from the seed, imagefolder, the batches,
and the user-task contract (loading, refusals, the shipped example through the real engine)."""
import io
import math
import pickle
import struct
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFont

from lrtui import engine
from lrtui.plan import planning
from lrtui.runs import recorder
from lrtui.runs.store import Store
from lrtui.schedule import catalogue
from lrtui.schedule.optimizers import validate_optimizer
from lrtui.schedule.params import ConfigError
from lrtui.tasks import Context, check_built, find, known_batches
from lrtui.tasks.batches import TensorBatches, split

CPU = torch.device("cpu")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "user_task.py"


def ctx(batch_size=8, seed=0, data_dir=None):
    return Context(CPU, batch_size, seed, data_dir=data_dir, download=False)


def epoch(batches):
    """One pass over `batches`: all inputs, all targets, and the size of each batch."""
    xs, ys = zip(*batches)
    return torch.cat(xs), torch.cat(ys), [len(y) for y in ys]


def match(got, expected):
    """For each of `got`, the index of the one of `expected` equal to it (within float rounding)."""
    diff = (got.flatten(1)[:, None] - expected.flatten(1)[None]).abs().amax(-1)
    assert diff.min(1).values.max() < 1e-5, "a sample matches none of what was written"
    return diff.argmin(1).tolist()


def job(task, epochs, *, optimizer=None, batch_size=128, seed=0):
    return planning.Job("test", catalogue.validate("StepLR", {"step_size": 30}),
                      validate_optimizer(optimizer or {"name": "SGD", "lr": 0.1}), epochs, task=task,
                      batch_size=batch_size, seed=seed, device="cpu")


# -- MNIST, Fashion-MNIST: idx files ---------------------------------------------------------------
def write_idx(raw: Path, prefix: str, images: np.ndarray, labels: np.ndarray) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    n = len(images)
    (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 0x803, n, 28, 28) + images.tobytes())
    (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 0x801, n) + labels.tobytes())


def digits(n: int, first: int) -> tuple[np.ndarray, np.ndarray]:
    """n distinct 28x28 images (pixel (r, c) of image i is first + i + 3r + c, mod 256) and labels."""
    i, r, c = np.ix_(np.arange(n), np.arange(28), np.arange(28))
    return ((first + i + 3 * r + c) % 256).astype(np.uint8), ((first + np.arange(n)) * 7 % 10).astype(np.uint8)


@pytest.mark.parametrize("name, folder, mean, std", [("mnist", "MNIST", 0.1307, 0.3081),
                                                     ("fashion-mnist", "FashionMNIST", 0.2860, 0.3530)])
def test_mnist_files_are_read_normalised_and_batched(tmp_path, name, folder, mean, std):
    train_images, train_labels = digits(20, 0)
    test_images, test_labels = digits(6, 100)
    write_idx(tmp_path / folder / "raw", "train", train_images, train_labels)
    write_idx(tmp_path / folder / "raw", "t10k", test_images, test_labels)

    built = check_built(find(name).build(ctx(8, data_dir=tmp_path)), name)

    def normalised(images):
        return (torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 255 - mean) / std

    assert len(built["train"]) == 3  # 20 samples in batches of 8
    x, y, sizes = epoch(built["train"])
    assert sizes == [8, 8, 4] and x.shape == (20, 1, 28, 28) and x.dtype == torch.float32
    which = match(x, normalised(train_images))
    assert sorted(which) == list(range(20))  # each written image exactly once
    assert y.tolist() == [(i * 7) % 10 for i in which]
    assert x[which.index(5), 0, 2, 4].item() == pytest.approx(((5 + 6 + 4) / 255 - mean) / std, abs=1e-5)

    vx, vy, vsizes = epoch(built["val"])  # the t10k files, in file order
    assert vsizes == [6]
    torch.testing.assert_close(vx, normalised(test_images))
    assert vy.tolist() == [0, 7, 4, 1, 8, 5]  # (100 + i) * 7 % 10
    assert built["metric"] == "accuracy"
    assert built["model"](x[:8]).shape == (8, 10)


# -- CIFAR-10: pickled batches ---------------------------------------------------------------------
class Py2Pickler(pickle._Pickler):
    """Pickles bytes as Python 2 `str` (SHORT_BINSTRING/BINSTRING), as the real CIFAR-10 files were
    written; loaded with encoding="latin1" (as torchvision does) they come back as `str` keys."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        n = len(obj)
        self.write((pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def write_cifar_batch(path: Path, data: np.ndarray, labels: list[int]) -> None:
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump({b"batch_label": b"a test batch", b"labels": labels, b"data": data,
                                         b"filenames": [b"img_%d.png" % i for i in range(len(labels))]})
    path.write_bytes(buffer.getvalue())


def cifar_meta() -> bytes:
    """batches.meta byte for byte as distributed (Python 2 cPickle, protocol 2, 158 bytes): torchvision
    checks its md5 (5ff9c542aee3614f3951f8cda6e48888) even when it does not download."""
    def s(text, memo):
        return b"U" + bytes([len(text)]) + text + b"q" + bytes([memo])

    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    return (b"\x80\x02}q\x01(" + s(b"num_cases_per_batch", 2) + b"M\x10'" + s(b"label_names", 3) + b"]q\x04("
            + b"".join(s(name, 5 + i) for i, name in enumerate(names)) + b"e" + s(b"num_vis", 15) + b"M\x00\x0cu.")


CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)


def cifar_expected(rows: np.ndarray) -> torch.Tensor:
    """What a row of the file means: 1024 red, then green, then blue, each 32x32 row-major."""
    planes = torch.tensor(rows.reshape(-1, 3, 32, 32), dtype=torch.float32) / 255
    return (planes - torch.tensor(CIFAR_MEAN).view(1, 3, 1, 1)) / torch.tensor(CIFAR_STD).view(1, 3, 1, 1)


def test_cifar10_batches_decode_to_chw_images_and_a_resnet18(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.RandomState(0)
    train_rows = rng.randint(0, 256, (10, 3072)).astype(np.uint8)
    train_rows[0, :1024], train_rows[0, 1024:2048], train_rows[0, 2048:] = 0, 0, 0
    train_rows[0, 0 * 1024 + 1 * 32 + 2] = 255   # image 0: red at row 1, column 2
    train_rows[0, 2 * 1024 + 31 * 32 + 0] = 51   # and some blue at row 31, column 0
    train_labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    for b in range(5):
        write_cifar_batch(folder / f"data_batch_{b + 1}", train_rows[2 * b:2 * b + 2], train_labels[2 * b:2 * b + 2])
    test_rows = rng.randint(0, 256, (3, 3072)).astype(np.uint8)
    write_cifar_batch(folder / "test_batch", test_rows, [7, 0, 8])
    (folder / "batches.meta").write_bytes(cifar_meta())

    built = check_built(find("cifar10").build(ctx(4, data_dir=tmp_path)), "cifar10")

    train = built["train"]
    assert train.x.shape == (10, 3, 32, 32) and len(train) == 3
    torch.testing.assert_close(train.x, cifar_expected(train_rows))  # batch files in order, then samples
    red = (torch.tensor([1.0, 0, 0]) - torch.tensor(CIFAR_MEAN)) / torch.tensor(CIFAR_STD)
    torch.testing.assert_close(train.x[0, :, 1, 2], red)
    assert train.x[0, 2, 31, 0].item() == pytest.approx((0.2 - 0.4465) / 0.2616, abs=1e-5)
    assert train.y.tolist() == train_labels
    x, y, sizes = epoch(train)  # augmented (shift and flip): pixels move, labels do not
    assert sizes == [4, 4, 2] and x.shape == (10, 3, 32, 32) and sorted(y.tolist()) == sorted(train_labels)

    vx, vy, _ = epoch(built["val"])  # not augmented, file order
    torch.testing.assert_close(vx, cifar_expected(test_rows))
    assert vy.tolist() == [7, 0, 8]

    model = built["model"]
    assert model.conv1.kernel_size == (3, 3) and model.conv1.stride == (1, 1)
    assert isinstance(model.maxpool, torch.nn.Identity)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules()) == 20  # ResNet-18's
    with torch.no_grad():
        assert model.eval()(vx[:2]).shape == (2, 10)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST/raw"), ("fashion-mnist", "FashionMNIST/raw"),
                                          ("cifar10", "cifar-10-batches-py")])
def test_missing_data_names_the_folder_and_download(tmp_path, name, folder):
    with pytest.raises(ConfigError) as caught:
        find(name).build(ctx(data_dir=tmp_path))
    assert str(tmp_path / folder) in str(caught.value)
    assert "--download" in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # nothing fetched, nothing made


# -- imagefolder -----------------------------------------------------------------------------------
# (class folder, mode, size, colour): every image one flat colour, none the same, so each can be found
IMAGES = [("cat", "RGB", (40, 30), (200, 30, 10)), ("cat", "L", (32, 32), 90), ("cat", "RGB", (7, 9), (0, 0, 255)),
          ("cat", "L", (100, 20), 250),
          ("dog", "RGB", (64, 64), (10, 200, 30)), ("dog", "RGB", (33, 31), (120, 120, 0)), ("dog", "L", (16, 48), 5),
          ("dog", "RGB", (50, 50), (255, 255, 255)),
          ("owl", "L", (28, 28), 170), ("owl", "RGB", (45, 12), (60, 0, 140)), ("owl", "RGB", (32, 32), (1, 2, 3)),
          ("owl", "L", (80, 60), 40)]


def write_images(root: Path, images=IMAGES) -> torch.Tensor:
    """The PNGs, and the RGB colour in [0, 1] that each should become."""
    for i, (cls, mode, size, colour) in enumerate(images):
        (root / cls).mkdir(parents=True, exist_ok=True)
        Image.new(mode, size, colour).save(root / cls / f"{i:02d}.png")
    return torch.tensor([(c, c, c) if mode == "L" else c for _, mode, _, c in images], dtype=torch.float32) / 255


def image_ids(x: torch.Tensor, colours: torch.Tensor) -> list[int]:
    flat = x.flatten(2)
    assert (flat.amax(2) - flat.amin(2)).max() <= 1 / 255 + 1e-6  # a flat colour stays flat when resized
    diff = (flat.mean(2)[:, None] - colours[None]).abs().amax(-1)
    assert diff.min(1).values.max() <= 1 / 255 + 1e-6
    return diff.argmin(1).tolist()


def test_imagefolder_resizes_every_image_to_rgb_32_and_splits_by_seed(tmp_path):
    colours = write_images(tmp_path / "pics")
    classes = {"cat": 0, "dog": 1, "owl": 2}  # the folders, sorted

    def run(seed):
        built = check_built(find(f"imagefolder:{tmp_path / 'pics'}").build(ctx(4, seed)), "imagefolder")
        tx, ty, sizes = epoch(built["train"])
        vx, vy, _ = epoch(built["val"])
        assert tx.shape[1:] == vx.shape[1:] == (3, 32, 32)
        assert sizes == [4, 4, 2] and len(built["train"]) == 3 and len(vy) == 2  # 12 images, 20% for validation
        train, val = image_ids(tx, colours), image_ids(vx, colours)
        assert sorted(train + val) == list(range(12))  # every image exactly once
        assert ty.tolist() + vy.tolist() == [classes[IMAGES[i][0]] for i in train + val]
        return built, set(val)

    built, val0 = run(0)
    assert run(0)[1] == val0
    assert run(1)[1] != val0
    assert built["model"](torch.zeros(2, 3, 32, 32)).shape == (2, 3)


def test_imagefolder_refuses_one_class_and_a_missing_folder(tmp_path):
    write_images(tmp_path / "one", [img for img in IMAGES if img[0] == "cat"])
    with pytest.raises(ConfigError, match="at least two class folders, found 1"):
        find(f"imagefolder:{tmp_path / 'one'}").build(ctx())
    with pytest.raises(ConfigError, match="nowhere"):
        find(f"imagefolder:{tmp_path / 'nowhere'}").build(ctx())




def test_imagefolder_notes_an_epoch_of_fewer_than_8_batches(tmp_path):
    write_images(tmp_path / "pics")  # 12 images: 10 to train on
    task = f"imagefolder:{tmp_path / 'pics'}"
    few = check_built(find(task).build(ctx(4)), task)
    assert len(few["train"]) == 3
    assert few["notes"] == [f"{task}: 10 training images in batches of 4 make 3 steps per epoch, fewer than 8 "
                            "(the schedule moves in coarse steps): try a batch size of 1"]
    assert check_built(find(task).build(ctx(1)), task)["notes"] == []  # 10 batches
    write_images(tmp_path / "six", IMAGES[2:8])  # 5 to train on
    task = f"imagefolder:{tmp_path / 'six'}"
    assert check_built(find(task).build(ctx(1)), task)["notes"] == [
        f"{task}: 5 training images in batches of 1 make 5 steps per epoch, fewer than 8 (the schedule moves in "
        "coarse steps): the folder has too few images for 8"]

def png_bytes(size=(20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.RandomState(0).randint(0, 256, (*size, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("content", [b"these are not the bytes of a PNG", png_bytes()[:300]],
                         ids=["garbage", "truncated"])
def test_imagefolder_an_unreadable_image_is_bad_input_naming_it(tmp_path, cli, content):
    write_images(tmp_path / "pics")
    bad = tmp_path / "pics" / "dog" / "broken.png"
    bad.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        find(f"imagefolder:{tmp_path / 'pics'}").build(ctx())
    assert caught.value.key == "task" and f"{bad} is not a readable image" in caught.value.problem

    code, _, err = cli("run", "seed-four", "--task", f"imagefolder:{tmp_path / 'pics'}", "--epochs", "1",
                       "--runs-dir", str(tmp_path / "runs"))
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [f"lrtui run: {caught.value}"]  # one line, no progress bar before it
    assert Store.at(tmp_path / "runs").runs() == []


def write_digits(root: Path, per_class: int, classes: int = 5, size: int = 16, seed: int = 0) -> None:
    """Small grey PNGs of the digits 0 to classes - 1, one folder per digit, as a scanned set of
    handwritten digits is laid out: each drawn at a random place, size and ink, with noise."""
    rng = np.random.RandomState(seed)
    fonts = [ImageFont.load_default(size=size - k) for k in (1, 2, 3)]
    for digit in range(classes):
        (root / str(digit)).mkdir(parents=True)
        for i in range(per_class):
            image = Image.new("L", (size, size))
            ImageDraw.Draw(image).text((rng.randint(0, size // 3), rng.randint(-2, 2)), str(digit),
                                       fill=int(rng.randint(150, 256)), font=fonts[rng.randint(3)])
            noisy = np.clip(np.asarray(image) / 255 + rng.normal(0, 0.05, (size, size)), 0, 1)
            Image.fromarray((noisy * 255).astype(np.uint8)).save(root / str(digit) / f"{i}.png")


def test_imagefolder_cnn_learns_digits_in_a_few_epochs(tmp_path):
    """Without normalisation the CNN sat at chance for about ten epochs of this (SGD 0.05, momentum
    0.9, cosine over 12 epochs); with GroupNorm it passes 0.9 well within them."""
    write_digits(tmp_path / "digits", 50)
    task = f"imagefolder:{tmp_path / 'digits'}"
    store = Store.at(tmp_path / "runs")
    run = planning.Job("digits", catalogue.validate("CosineAnnealingLR", {"T_max": 12}),
                     validate_optimizer({"name": "SGD", "lr": 0.05, "momentum": 0.9}), 12, task=task,
                     batch_size=32, device="cpu")
    assert recorder.run(run, store, lambda events: None, threading.Event()) == "finished"
    epochs = store.run(store.runs()[0]["id"])["epochs"]
    assert epochs[-1]["val_acc"] >= 0.9  # chance is 0.2
    model = check_built(find(task).build(ctx()), task)["model"]
    assert any(isinstance(m, torch.nn.GroupNorm) for m in model.modules())
    assert list(model.buffers()) == []  # no running statistics (BatchNorm's): every sample on its own

# -- spirals, shapes -------------------------------------------------------------------------------
def seeded_build(name, seed, batch_size=64):
    engine.seed_everything(seed)  # what the engine does before build
    return check_built(find(name).build(ctx(batch_size, seed)), name)


def same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("name", ["spirals", "shapes"])
def test_generated_tasks_are_the_same_for_a_seed_and_differ_between_seeds(name):
    a, b, c = seeded_build(name, 3), seeded_build(name, 3), seeded_build(name, 4)
    a_val, b_val, c_val = next(iter(a["val"])), next(iter(b["val"])), next(iter(c["val"]))
    assert torch.equal(a_val[0], b_val[0]) and torch.equal(a_val[1], b_val[1])
    assert not torch.equal(a_val[0], c_val[0])
    for (ax, ay), (bx, by) in zip(a["train"], b["train"]):  # one whole epoch, batch for batch
        assert torch.equal(ax, bx) and torch.equal(ay, by)
    assert not torch.equal(next(iter(a["train"]))[0], next(iter(c["train"]))[0])
    assert same_weights(a["model"], b["model"]) and not same_weights(a["model"], c["model"])
    assert len(a["train"]) == known_batches(name, 64)


def test_spirals_points_three_arms():
    built = seeded_build("spirals", 0, 128)
    x, y, sizes = epoch(built["train"])
    assert x.shape == (6000, 2) and len(built["train"]) == 47 and sizes[-1] == 6000 - 46 * 128
    assert sorted(set(y.tolist())) == [0, 1, 2]
    assert x.abs().max() < 1.6  # radius at most 1, plus a little noise
    assert built["model"](x[:5]).shape == (5, 3)


def test_shapes_images_in_unit_range_with_all_six_classes():
    built = seeded_build("shapes", 0, 100)
    vx, vy, _ = epoch(built["val"])
    x, y = next(iter(built["train"]))
    assert vx.shape == (1000, 1, 28, 28) and x.shape == (100, 1, 28, 28) and len(built["train"]) == 40
    assert vx.min() >= 0 and vx.max() <= 1 and x.min() >= 0 and x.max() <= 1  # augmented too
    assert sorted(set(vy.tolist())) == list(range(6))
    assert built["model"](x[:3]).shape == (3, 6)


def test_spirals_learns_with_sgd(tmp_path):
    store = Store.at(tmp_path / "runs")
    status = recorder.run(job("spirals", 6, optimizer={"name": "SGD", "lr": 0.1, "momentum": 0.9}, batch_size=64),
                          store, lambda events: None, threading.Event())
    assert status == "finished"
    epochs = store.run(store.runs()[0]["id"])["epochs"]
    assert len(epochs) == 6
    assert epochs[-1]["val_acc"] > 0.6  # chance is 1/3
    assert epochs[-1]["val_loss"] < math.log(3) - 0.3  # a guess among three costs ln 3


# -- TensorBatches ---------------------------------------------------------------------------------
def orders(batches, epochs=2):
    return [torch.cat([y for _, y in batches]).tolist() for _ in range(epochs)]


def test_tensor_batches_shuffle_per_epoch_reproducibly():
    y = torch.arange(10)
    x = y.float().unsqueeze(1) * 10
    batches = TensorBatches(x, y, 3, seed=7)
    first, second = orders(batches)
    assert len(batches) == 4
    assert [len(b) for b, _ in batches] == [3, 3, 3, 1]
    for bx, by in batches:
        assert torch.equal(bx[:, 0], by.float() * 10)  # inputs stay with their targets
    assert sorted(first) == sorted(second) == list(range(10))  # every sample once per epoch
    assert first != second
    assert orders(TensorBatches(x, y, 3, seed=7)) == [first, second]
    assert orders(TensorBatches(x, y, 3, seed=8))[0] != first
    assert orders(TensorBatches(x, y, 3)) == [list(range(10))] * 2  # no seed: in order (validation)
    assert len(TensorBatches(x, y, 5)) == 2 and len(TensorBatches(x, y, 11)) == 1
    doubled = TensorBatches(x, y, 4, seed=1, transform=lambda t: t * 2)
    assert all(torch.equal(bx[:, 0], by.float() * 20) for bx, by in doubled)


def test_split_is_reproducible_and_covers_every_index():
    train, val = split(10, 0.2, seed=5)
    assert len(train) == 8 and len(val) == 2
    assert sorted(train.tolist() + val.tolist()) == list(range(10))
    again = split(10, 0.2, seed=5)
    assert torch.equal(train, again[0]) and torch.equal(val, again[1])
    assert len(split(3, 0.2, seed=0)[1]) == 1  # at least one sample to validate on


# -- user tasks ------------------------------------------------------------------------------------
GOOD_TASK = """
import torch
from helper import WIDTH  # a neighbour of the task file

def build(ctx):
    x = torch.randn(12, 3)
    y = torch.randint(0, WIDTH, (12,))
    return {"model": torch.nn.Linear(3, WIDTH), "train": [(x[:6], y[:6]), (x[6:], y[6:])]}

def other(ctx):
    return {"model": torch.nn.Linear(3, 1), "train": [], "metric": "accuracy"}
"""


def test_user_task_file_loads_and_may_import_its_neighbours(tmp_path):
    (tmp_path / "helper.py").write_text("WIDTH = 4\n")
    (tmp_path / "task.py").write_text(GOOD_TASK)
    path_before = list(sys.path)
    task = find(f"{tmp_path / 'task.py'}:build")
    assert sys.path == path_before  # the folder was on sys.path only while the file loaded
    built = check_built(task.build(ctx()), "task")
    assert built["model"](torch.zeros(2, 3)).shape == (2, 4)
    assert len(built["train"]) == 2
    assert built["val"] is None and built["metric"] is None
    assert built["loss"] is torch.nn.functional.cross_entropy  # the default
    assert built["notes"] == []
    assert check_built({**built, "notes": ["say this"]}, "task")["notes"] == ["say this"]
    assert check_built(find(f"{tmp_path / 'task.py'}:other").build(ctx()), "task")["metric"] == "accuracy"
    assert check_built(find(str(tmp_path / "task.py")).build(ctx()), "task")["model"].out_features == 4


@pytest.mark.parametrize("source, function, expected", [
    (None, "build", "no task file"),
    ("def make(ctx):\n    return {}\n", "build", "defines no function build(ctx)"),
    ("build = 3\n", "build", "defines no function build(ctx)"),
    ("def build(ctx):\n    return {}\n", "make", "defines no function make(ctx)"),
    ("import torch\nraise RuntimeError('no GPU here, sorry')\n", "build", "failed to load: RuntimeError: no GPU here, sorry"),
    ("def build(ctx)\n    return {}\n", "build", "failed to load: SyntaxError"),
])
def test_user_task_file_problems_are_config_errors(tmp_path, source, function, expected):
    path = tmp_path / "mytask.py"
    if source is not None:
        path.write_text(source)
    with pytest.raises(ConfigError) as caught:
        find(f"{path}:{function}")
    assert caught.value.key == "task"
    assert expected in str(caught.value)
    assert str(path) in str(caught.value)


MODEL = torch.nn.Linear(2, 3)


@pytest.mark.parametrize("built, expected", [
    ({"train": []}, "must return a dict with 'model' and 'train'"),
    ({"model": MODEL}, "must return a dict with 'model' and 'train'"),
    ((MODEL, []), "must return a dict with 'model' and 'train'"),
    (None, "must return a dict with 'model' and 'train'"),
    ({"model": lambda x: x, "train": []}, "'model' must be a torch.nn.Module, got function"),
    ({"model": MODEL, "train": [], "metric": "f1"}, "'metric' must be 'accuracy' or None, got 'f1'"),
    ({"model": MODEL, "train": [], "optimizer": None, "epochs": 3}, "unknown keys ['epochs', 'optimizer']"),
    ({"model": MODEL, "train": [], "notes": "a note"}, "'notes' must be a list of strings, got 'a note'"),
    ({"model": MODEL, "train": [], "notes": ["a note", 3]}, "'notes' must be a list of strings, got ['a note', 3]"),
])
def test_bad_build_results_are_refused(built, expected):
    with pytest.raises(ConfigError) as caught:
        check_built(built, "my.py:build")
    assert caught.value.key == "task"
    assert caught.value.problem.startswith("my.py:build: ") and expected in caught.value.problem


def test_engine_refuses_a_bad_build_before_storing_a_run(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\ndef build(ctx):\n    return {'model': torch.nn.Linear(2, 2), 'train': [], "
                    "'metric': 'f1'}\n")
    store = Store.at(tmp_path / "runs")
    with pytest.raises(ConfigError, match="'metric' must be 'accuracy' or None"):
        recorder.run(job(f"{path}:build", 1), store, lambda events: None, threading.Event())
    assert store.runs() == []


def test_example_user_task_is_reproducible_per_seed():
    def build(seed):
        engine.seed_everything(seed)
        return check_built(find(f"{EXAMPLE}:build").build(ctx(32, seed)), "example")

    a, b, c = build(0), build(0), build(1)
    assert a["loss"] is torch.nn.functional.mse_loss and a["metric"] is None and a["val"] is not None
    assert same_weights(a["model"], b["model"]) and not same_weights(a["model"], c["model"])
    for (ax, ay), (bx, by), _ in zip(a["train"], b["train"], range(5)):
        assert torch.equal(ax, bx) and torch.equal(ay, by)
    ax, ay = next(iter(a["train"]))
    assert ax.shape == (32, 8) and ay.shape == (32, 1) and a["model"](ax).shape == (32, 1)
    assert not torch.equal(ax, next(iter(c["train"]))[0])
    assert not torch.equal(ax, next(iter(a["train"]))[0])  # the next epoch is another order
    assert torch.equal(next(iter(a["val"]))[0], next(iter(c["val"]))[0])  # one data set, whatever the seed


def test_example_user_task_trains_through_the_engine(tmp_path):
    store = Store.at(tmp_path / "runs")
    events = []
    status = recorder.run(job(f"{EXAMPLE}:build", 2, batch_size=128), store, events.extend, threading.Event())
    assert status == "finished"
    run = store.run(store.runs()[0]["id"])
    assert run["status"] == "finished" and run["task"] == f"{EXAMPLE}:build"
    assert [e["epoch"] for e in run["epochs"]] == [0, 1]
    assert all(e["val_acc"] is None for e in run["epochs"])  # metric None: a regression
    assert len(run["steps"]["loss"]) == 2 * 128  # 16384 samples in batches of 128, two epochs
    first, last = run["epochs"]
    assert last["val_loss"] < first["val_loss"] < 0.3  # 0.3: about the targets' variance (predicting the mean)
    # a second run with the seed (another schedule, as in a comparison) starts from the same weights and
    # batches: its first step's loss is the same, bit for bit
    other = planning.Job("other", catalogue.validate("ExponentialLR", {"gamma": 0.5}),
                       validate_optimizer({"name": "SGD", "lr": 0.1}), 1, task=f"{EXAMPLE}:build", device="cpu")
    assert recorder.run(other, store, events.extend, threading.Event()) == "finished"
    again = store.run(store.runs()[0]["id"])
    assert again["steps"]["loss"][0] == run["steps"]["loss"][0]


def test_list_tasks_names_every_builtin(cli):
    code, out, _ = cli("list", "tasks")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert names == ["spirals", "shapes", "mnist", "fashion-mnist", "cifar10", "imagefolder:PATH",
                     "path/to/file.py:build"]


def test_unknown_task_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown task 'minst'.*lrtui list tasks"):
        find("minst")


def test_a_task_file_runs_once_per_version(tmp_path):
    """`lrtui run` checks every task before training, then trains: the file's top level runs once."""
    import os

    from lrtui import tasks as registry

    counter = tmp_path / "count.txt"
    path = tmp_path / "counted.py"
    source = (f"from pathlib import Path\np = Path({str(counter)!r})\n"
              "p.write_text(str(int(p.read_text() or 0) + 1) if p.exists() else '1')\n"
              "def build(ctx):\n    return {}\n")
    path.write_text(source)
    registry.find(f"{path}:build")
    registry.find(f"{path}:build")
    assert counter.read_text() == "1"
    path.write_text(source + "# edited\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    registry.find(f"{path}:build")
    assert counter.read_text() == "2"
