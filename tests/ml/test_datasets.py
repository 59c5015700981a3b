"""Readers of handwriting data sets, on small files the tests write themselves."""

import gzip
import hashlib

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from recognizer.ml import datasets, featurising, listings
from recognizer.ml.decoding import grey_drawing
from recognizer.ml.preprocessing import DigitFeatures

DIGITS = load_digits()


def mnist_pixels(count: int, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` load_digits images as MNIST-style light-on-black uint8 squares."""
    chosen = np.arange(count) % len(DIGITS.images)  # repeated past 1,797
    images = np.kron(DIGITS.images[chosen], np.ones((3, 3))) * (255 / 16)
    pad = (side - 24) // 2
    pixels = np.zeros((count, side, side), dtype=np.uint8)
    pixels[:, pad : pad + 24, pad : pad + 24] = np.rint(images)
    return pixels, DIGITS.target[chosen]


def reference_ink(pixels: np.ndarray) -> np.ndarray:
    return grey_drawing(Image.fromarray(pixels, "L")).ink


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def write_idx(tmp_path, pixels, labels, *, gz=False, name="set"):
    images, label_file = tmp_path / f"{name}-images", tmp_path / f"{name}-labels"
    for path, array in ((images, pixels), (label_file, labels)):
        data = idx_bytes(np.asarray(array))
        path.write_bytes(gzip.compress(data) if gz else data)
    return images, label_file


def open_spec(text: str) -> datasets.Dataset:
    return datasets.open_dataset(datasets.parse_dataset(text))


def loaded(source: datasets.Dataset, indices=None):
    """Return (indices, images, problems) of every batch, joined."""
    kept, images, problems = [], [], []
    for batch in featurising.batches(source, indices, batch_size=3):
        kept += batch[0]
        images += batch[1]
        problems += batch[2]
    return kept, images, problems


def reasons(problems) -> str:
    return "\n".join(str(problem) for problem in problems)


class TestParseSource:
    @pytest.mark.parametrize(
        ("text", "kind", "paths"),
        [
            ("digits", "digits", ()),
            (" history ", "history", ()),
            ("folder:/data/mnist_png/training", "folder", ("/data/mnist_png/training",)),
            ("idx:a-images.gz,a-labels.gz", "idx", ("a-images.gz", "a-labels.gz")),
            ("idx: a , b ", "idx", ("a", "b")),
            ("csv:train.csv", "csv", ("train.csv",)),
        ],
    )
    def test_reads_each_kind(self, text, kind, paths):
        spec = datasets.parse_dataset(text)
        assert spec.kind == kind
        assert tuple(str(path) for path in spec.paths) == paths

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("mnist", "not a data set: use digits"),
            ("", "not a data set"),
            ("folder", "not a data set"),
            ("folder:", "path is missing"),
            ("csv:  ", "path is missing"),
            ("idx:only-images", "two paths"),
            ("idx:a,b,c", "two paths"),
            ("idx:a,", "path is missing"),
            ("digits:somewhere", "takes no path"),
            ("zip:a.zip", "not a data set"),
        ],
    )
    def test_refuses_a_malformed_source_saying_why(self, text, message):
        with pytest.raises(datasets.DatasetError, match=message):
            datasets.parse_dataset(text)

    def test_prints_back_as_given(self):
        assert str(datasets.parse_dataset("idx:a,b")) == "idx:a,b"

    def test_a_missing_path_is_an_error_naming_it(self, tmp_path):
        with pytest.raises(datasets.DatasetError, match=r"nowhere\.csv does not exist"):
            open_spec(f"csv:{tmp_path / 'nowhere.csv'}")

    @pytest.mark.parametrize(
        ("kind", "message"),
        [("csv", "is a folder"), ("idx", "is a folder"), ("folder", "no folder")],
    )
    def test_a_folder_for_a_file_or_a_file_for_a_folder_is_an_error(self, tmp_path, kind, message):
        (tmp_path / "file.csv").write_text("label\n")
        path = tmp_path / "file.csv" if kind == "folder" else tmp_path
        text = f"idx:{path},{path}" if kind == "idx" else f"{kind}:{path}"
        with pytest.raises(datasets.DatasetError, match=message):
            open_spec(text)

    def test_a_source_given_twice_is_an_error(self):
        with pytest.raises(datasets.DatasetError, match="digits is given twice"):
            datasets.parse_datasets(["digits", "history", " digits"])
        assert [str(s) for s in datasets.parse_datasets(["digits", "csv:a"])] == ["digits", "csv:a"]

    def test_history_is_left_to_the_app(self):
        with pytest.raises(datasets.DatasetError, match="memory_dataset"):
            open_spec("history")


class TestIdx:
    @pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
    def test_reads_images_and_labels(self, tmp_path, gz):
        pixels, labels = mnist_pixels(12)
        images, label_file = write_idx(tmp_path, pixels, labels, gz=gz)
        source = open_spec(f"idx:{images},{label_file}")
        assert source.labels.tolist() == labels.tolist()
        kept, inks, problems = loaded(source)
        assert kept == list(range(12)) and not problems
        for ink, expected in zip(inks, pixels, strict=True):
            np.testing.assert_array_equal(ink, reference_ink(expected))

    def test_light_ink_on_black_becomes_ink(self, tmp_path):
        pixels, labels = mnist_pixels(1)
        images, label_file = write_idx(tmp_path, pixels, labels)
        (ink,) = loaded(open_spec(f"idx:{images},{label_file}"))[1]
        assert ink[0, 0] == 0.0 and ink.max() > 0.9  # the black border is paper

    def test_reads_only_the_items_asked_for(self, tmp_path):
        pixels, labels = mnist_pixels(3000, side=8 + 24)  # more than one chunk of records
        images, label_file = write_idx(tmp_path, pixels, labels, gz=True)
        source = open_spec(f"idx:{images},{label_file}")
        kept, inks, _ = loaded(source, np.array([2999, 5, 1500, 6]))
        assert kept == [5, 6, 1500, 2999]
        np.testing.assert_array_equal(inks[3], reference_ink(pixels[2999]))

    def test_different_counts_skip_the_pair_naming_both_files(self, tmp_path):
        pixels, labels = mnist_pixels(10)
        images, label_file = write_idx(tmp_path, pixels, labels[:9])
        source = open_spec(f"idx:{images},{label_file}")
        assert len(source.labels) == 0
        assert "10 images but 9 labels" in reasons(source.problems)
        assert str(images) in reasons(source.problems)
        assert str(label_file) in reasons(source.problems)

    def test_a_label_outside_0_to_9_skips_that_item_only(self, tmp_path):
        pixels, labels = mnist_pixels(5)
        labels[2] = 12
        images, label_file = write_idx(tmp_path, pixels, labels)
        source = open_spec(f"idx:{images},{label_file}")
        assert len(source.labels) == 4
        assert reasons(source.problems) == f"{label_file} item 2: label 12 is outside 0-9"
        _, inks, _ = loaded(source)
        np.testing.assert_array_equal(inks[2], reference_ink(pixels[3]))

    @pytest.mark.parametrize(
        ("data", "reason"),
        [
            (b"not an idx file at all", "not an IDX file"),
            (b"\x00\x00\x0d\x03" + bytes(12), "not unsigned bytes"),
            (b"\x00\x00\x08\x03\x00\x00", "header is cut short"),
            (idx_bytes(np.zeros((2, 4), dtype=np.uint8)), "n x rows x columns"),
            (
                b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (2, 9000, 9000)),
                "larger",
            ),
        ],
        ids=["garbage", "float data", "short header", "not images", "too large"],
    )
    def test_a_bad_images_file_is_skipped_naming_it(self, tmp_path, data, reason):
        _, label_file = write_idx(tmp_path, *mnist_pixels(2))
        images = tmp_path / "bad-images"
        images.write_bytes(data)
        source = open_spec(f"idx:{images},{label_file}")
        assert len(source.labels) == 0
        assert str(images) in reasons(source.problems)
        assert reason in reasons(source.problems)

    def test_a_truncated_file_keeps_what_it_holds_and_counts_the_rest(self, tmp_path):
        pixels, labels = mnist_pixels(10)
        images, label_file = write_idx(tmp_path, pixels, labels)
        images.write_bytes(images.read_bytes()[: 16 + 7 * 784 + 100])
        source = open_spec(f"idx:{images},{label_file}")
        assert len(source.labels) == 7
        assert "ends after 7 of the 10 items" in reasons(source.problems)
        assert sum(problem.count for problem in source.problems) == 3

    def test_a_corrupt_gzip_is_skipped_naming_it(self, tmp_path):
        pixels, labels = mnist_pixels(10)
        images, label_file = write_idx(tmp_path, pixels, labels, gz=True)
        images.write_bytes(images.read_bytes()[:-40])
        source = open_spec(f"idx:{images},{label_file}")
        assert len(source.labels) == 0
        assert f"{images}: unreadable" in reasons(source.problems)


def write_csv(path, pixels, labels, header=None):
    side = pixels.shape[1]
    lines = [header or "label," + ",".join(f"pixel{i}" for i in range(side * side))]
    for label, image in zip(labels, pixels, strict=True):
        lines.append(",".join(str(v) for v in [label, *image.ravel().tolist()]))
    path.write_text("\n".join(lines) + "\n")
    return path


class TestCsv:
    def test_reads_kaggles_layout(self, tmp_path):
        pixels, labels = mnist_pixels(6)
        source = open_spec(f"csv:{write_csv(tmp_path / 'train.csv', pixels, labels)}")
        assert source.labels.tolist() == labels.tolist()
        kept, inks, problems = loaded(source)
        assert kept == list(range(6)) and not problems
        for ink, expected in zip(inks, pixels, strict=True):
            np.testing.assert_array_equal(ink, reference_ink(expected))

    def test_the_label_column_may_be_anywhere(self, tmp_path):
        pixels, labels = mnist_pixels(2, side=28)
        flat = pixels.reshape(2, -1)
        lines = ["pixel0,LABEL," + ",".join(f"p{i}" for i in range(1, 784))]
        for label, row in zip(labels, flat, strict=True):
            lines.append(",".join(str(v) for v in [row[0], label, *row[1:].tolist()]))
        path = tmp_path / "moved.csv"
        path.write_text("\r\n".join(lines) + "\r\n")
        source = open_spec(f"csv:{path}")
        assert source.labels.tolist() == labels.tolist()
        np.testing.assert_array_equal(loaded(source)[1][1], reference_ink(pixels[1]))

    def test_bad_rows_are_skipped_naming_the_line_and_the_rest_is_read(self, tmp_path):
        pixels, labels = mnist_pixels(6)
        path = write_csv(tmp_path / "train.csv", pixels, labels)
        lines = path.read_text().splitlines()
        lines[2] = lines[2].rsplit(",", 10)[0]  # a row cut short
        lines[3] = "11" + lines[3][1:]  # a label that is no digit
        lines[4] = lines[4].replace(",0,", ",x,", 1)  # a pixel that is no number
        lines[5] = lines[5].replace(",0,", ",300,", 1)  # a pixel out of range
        path.write_text("\n".join(lines) + "\n")
        source = open_spec(f"csv:{path}")
        assert source.labels.tolist() == [labels[0], labels[3], labels[4], labels[5]]
        kept, inks, problems = loaded(source)
        assert kept == [0, 3] and len(inks) == 2
        listed = reasons(source.problems)
        assert f"{path} line 3: 775 values, expected 785" in listed
        assert f"{path} line 4: label '11' is not a digit 0-9" in listed
        assert f"{path} line 5: a pixel value is not a number" in reasons(problems)
        assert f"{path} line 6: a pixel value is outside 0-255" in reasons(problems)

    @pytest.mark.parametrize(
        ("header", "reason"),
        [
            ("pixel0,pixel1,pixel2,pixel3", "no 'label' column in the header"),
            ("label,a,b,c", "3 pixel columns do not make a square image"),
            ("", "no 'label' column in the header"),
        ],
    )
    def test_a_bad_header_skips_the_file_naming_it(self, tmp_path, header, reason):
        path = tmp_path / "test.csv"
        path.write_text(header + "\n1,2,3,4\n")
        source = open_spec(f"csv:{path}")
        assert len(source.labels) == 0
        assert reasons(source.problems) == f"{path} line 1: {reason}"


def folder_of_digits(root, style: str, fmt: str = "PNG"):
    """Ten images (one per digit) in sub-folders 0-9, drawn in the given polarity."""
    pixels, labels = mnist_pixels(10)
    for image, label in zip(pixels, labels, strict=True):
        big = Image.fromarray(image, "L").resize((84, 84), Image.Resampling.BILINEAR)
        alpha = np.asarray(big)
        if style == "light on dark":
            picture = big
        elif style == "dark on light":
            picture = Image.fromarray(255 - alpha, "L")
        else:  # ink of one colour on transparency
            colour = (0, 0, 0) if style == "black on transparent" else (255, 255, 255)
            rgba = np.zeros((84, 84, 4), dtype=np.uint8)
            rgba[..., :3], rgba[..., 3] = colour, alpha
            picture = Image.fromarray(rgba, "RGBA")
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        if fmt == "JPEG":
            picture = picture.convert("RGB")
        picture.save(folder / f"{label}.{fmt.lower()}", fmt)
    return labels


STYLES = ["light on dark", "dark on light", "black on transparent", "white on transparent"]


class TestFolder:
    @pytest.mark.parametrize("style", STYLES)
    def test_every_polarity_gives_the_same_ink(self, tmp_path, style):
        labels = folder_of_digits(tmp_path / "reference", "dark on light")
        folder_of_digits(tmp_path / "styled", style)
        reference = open_spec(f"folder:{tmp_path / 'reference'}")
        styled = open_spec(f"folder:{tmp_path / 'styled'}")
        assert sorted(styled.labels.tolist()) == sorted(labels.tolist())
        for expected, ink in zip(loaded(reference)[1], loaded(styled)[1], strict=True):
            assert ink[0, 0] == 0.0
            assert np.abs(ink - expected).max() < 0.02

    @pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
    def test_jpeg_and_webp_are_read(self, tmp_path, fmt):
        folder_of_digits(tmp_path, "dark on light", fmt)
        kept, _, problems = loaded(open_spec(f"folder:{tmp_path}"))
        assert len(kept) == 10 and not problems

    def test_a_file_that_is_no_image_is_skipped_naming_it(self, tmp_path):
        folder_of_digits(tmp_path, "light on dark")
        (tmp_path / "3" / "notes.png").write_text("not a picture")
        (tmp_path / "4" / ".DS_Store").write_bytes(b"\x00\x01")  # hidden: ignored
        (tmp_path / "README.txt").write_text("outside the digit folders: ignored")
        source = open_spec(f"folder:{tmp_path}")
        kept, _, problems = loaded(source)
        assert len(source.labels) == 11 and len(kept) == 10
        assert reasons(problems) == f"{tmp_path / '3' / 'notes.png'}: The data is not an image."

    def test_a_blank_image_is_skipped_as_empty(self, tmp_path):
        (tmp_path / "0").mkdir()
        Image.new("L", (28, 28), 255).save(tmp_path / "0" / "blank.png")
        _, _, problems = loaded(open_spec(f"folder:{tmp_path}"))
        assert "blank.png: The drawing is empty" in reasons(problems)

    def test_a_folder_without_digit_folders_is_skipped_naming_it(self, tmp_path):
        (tmp_path / "training").mkdir()
        source = open_spec(f"folder:{tmp_path}")
        assert reasons(source.problems) == f"{tmp_path}: no images in sub-folders named 0-9"

    def test_listing_a_folder_reports_progress(self, tmp_path):
        folder_of_digits(tmp_path, "light on dark")
        seen = []
        spec = datasets.parse_dataset(f"folder:{tmp_path}")
        datasets.open_dataset(spec, progress=lambda done, total: seen.append((done, total)))
        assert seen == [(10, 10)]

    def test_the_listing_hash_follows_the_files(self, tmp_path):
        folder_of_digits(tmp_path, "light on dark")
        first = open_spec(f"folder:{tmp_path}").listing.files[0]
        assert open_spec(f"folder:{tmp_path}").listing.files[0] == first
        assert first["images"] == 10 and len(first["sha256"]) == 64
        Image.new("L", (28, 28), 0).save(tmp_path / "7" / "7.png")
        assert open_spec(f"folder:{tmp_path}").listing.files[0]["sha256"] != first["sha256"]


class TestSplit:
    def test_held_out_is_disjoint_from_training_and_both_cover_everything(self):
        labels = np.random.default_rng(0).integers(0, 10, 1003)
        training, held_out = datasets.split_indices(labels)
        assert not np.intersect1d(training, held_out).size
        assert np.array_equal(np.sort(np.concatenate([training, held_out])), np.arange(1003))

    def test_each_digit_keeps_its_share_out(self):
        labels = np.repeat(np.arange(10), 50)
        _, held_out = datasets.split_indices(labels, held_out=0.1)
        assert datasets.per_digit(labels[held_out]) == [5] * 10

    def test_the_split_is_the_same_every_time_and_changes_with_the_seed(self):
        labels = np.repeat(np.arange(10), 30)
        first = datasets.split_indices(labels)[1]
        assert np.array_equal(first, datasets.split_indices(labels)[1])
        assert not np.array_equal(first, datasets.split_indices(labels, seed=1)[1])

    def test_a_lone_example_of_a_digit_is_trained_on(self):
        training, held_out = datasets.split_indices(np.array([3, 5, 5, 5, 5, 5, 5, 5, 5, 5]))
        assert 0 in training and len(held_out) == 1

    def test_load_digits_keeps_its_own_test_quarter_out(self):
        source = open_spec("digits")
        training, held_out = datasets.split(source, held_out=0.5)  # the share does not apply
        assert (len(training), len(held_out)) == (1347, 450)
        _, X_test, _, _ = train_test_split(
            DIGITS.images, DIGITS.target, test_size=0.25, random_state=42
        )
        assert sorted(map(bytes, DIGITS.images[held_out])) == sorted(map(bytes, X_test))

    def test_a_source_in_memory_may_fix_its_held_out_part(self):
        spec = datasets.parse_dataset("history")
        source = datasets.memory_dataset(spec, [np.ones((4, 4))] * 5, [1] * 5, [], np.array([3, 0]))
        training, held_out = datasets.split(source)
        assert training.tolist() == [1, 2, 4] and held_out.tolist() == [0, 3]

    def test_nothing_held_out_when_the_share_is_zero(self):
        training, held_out = datasets.split_indices(np.arange(10), held_out=0)
        assert len(training) == 10 and len(held_out) == 0


class TestFeaturiseAndProvenance:
    def test_features_come_batch_by_batch_without_the_skipped(self, tmp_path):
        pixels, labels = mnist_pixels(8)
        images, label_file = write_idx(tmp_path, pixels, labels)
        source = open_spec(f"idx:{images},{label_file}")
        pixels[5] = 255  # a blank image: skipped as empty
        images.write_bytes(idx_bytes(pixels))
        result = featurising.featurise(source, DigitFeatures().transform, batch_size=3)
        assert result.indices.tolist() == [0, 1, 2, 3, 4, 6, 7]
        assert result.y.tolist() == np.delete(labels, 5).tolist()
        expected = DigitFeatures().transform([reference_ink(pixels[i]) for i in result.indices])
        np.testing.assert_array_equal(result.X, expected)
        assert "item 5: The drawing is empty" in reasons(result.problems)

    def test_provenance_names_the_files_their_hashes_and_counts(self, tmp_path):
        pixels, labels = mnist_pixels(20)
        labels[0] = 11
        images, label_file = write_idx(tmp_path, pixels, labels)
        source = open_spec(f"idx:{images},{label_file}")
        training, held_out = datasets.split_indices(source.labels)
        result = featurising.featurise(source, DigitFeatures().transform, training)
        record = datasets.provenance(source, result.y, len(held_out), result.problems)
        assert record["source"] == f"idx:{images},{label_file}"
        assert [f["sha256"] for f in record["files"]] == [
            hashlib.sha256(path.read_bytes()).hexdigest() for path in (images, label_file)
        ]
        assert record["images"] == len(training) == sum(record["per_digit"])
        assert record["per_digit"] == datasets.per_digit(source.labels[training])
        assert record["held_out"] == len(held_out)
        assert record["skipped"] == 1

    def test_load_digits_is_a_source_of_8x8_ink(self):
        source = open_spec("digits")
        assert len(source.labels) == 1797
        ((_, images, _),) = featurising.batches(source, np.array([0]))
        np.testing.assert_array_equal(images[0], DIGITS.images[0] / 16)
        assert source.listing.files[0]["path"] == "sklearn.datasets.load_digits"

    def test_images_in_memory_are_a_source(self):
        spec = datasets.parse_dataset("history")
        source = datasets.memory_dataset(spec, [np.ones((5, 5))] * 2, [3, 4], [])
        assert source.labels.tolist() == [3, 4]
        with pytest.raises(datasets.DatasetError, match="2 images but 1 labels"):
            datasets.memory_dataset(spec, [np.ones((5, 5))] * 2, [3], [])

    def test_an_empty_data_set_is_an_error(self, tmp_path):
        (tmp_path / "0").mkdir()
        spec = datasets.parse_dataset(f"folder:{tmp_path}")
        assert len(datasets.open_dataset(spec).labels) == 0
        with pytest.raises(datasets.DatasetError, match="empty"):
            datasets.require_data(0, [spec])
        datasets.require_data(1, [spec])


def test_an_augmenting_transform_gives_several_rows_per_image(tmp_path):
    pixels, labels = mnist_pixels(5)
    images, label_file = write_idx(tmp_path, pixels, labels)
    source = open_spec(f"idx:{images},{label_file}")

    def three_copies(inks):
        return np.repeat(DigitFeatures().transform(inks), 3, axis=0)

    result = featurising.featurise(source, three_copies, batch_size=2)
    assert result.X.shape == (15, 64)
    assert result.y.tolist() == np.repeat(labels, 3).tolist()
    assert result.indices.tolist() == np.repeat(np.arange(5), 3).tolist()


def test_images_in_memory_are_featurised_in_worker_processes_batch_by_batch():
    spec = datasets.parse_dataset("history")
    source = datasets.memory_dataset(spec, list(DIGITS.images[:30] / 16), DIGITS.target[:30], [])
    alone = featurising.featurise(source, DigitFeatures().transform, batch_size=7)
    shared = featurising.featurise(source, DigitFeatures().transform, batch_size=7, n_jobs=2)
    np.testing.assert_array_equal(alone.X, shared.X)
    assert shared.indices.tolist() == list(range(30))


def test_skipped_items_are_counted_and_the_first_few_listed():
    problems = [listings.Problem(f"a.csv line {n}", "label 12 is outside 0-9") for n in range(12)]
    problems.append(listings.Problem("b-images", "the data ends early", count=5))
    lines = datasets.describe_problems(problems, limit=3)
    assert lines[0] == "17 skipped:"
    assert lines[1] == "  a.csv line 0: label 12 is outside 0-9"
    assert lines[-1] == "  ... and 10 more"
    assert datasets.describe_problems([]) == []


def test_importing_sources_keeps_each_ones_held_out_part_apart(tmp_path):
    pixels, labels = mnist_pixels(60)
    labels[0] = 10  # skipped while listing
    images, label_file = write_idx(tmp_path, pixels, labels)
    folder_of_digits(tmp_path / "folder", "dark on light")
    sources = [open_spec(f"idx:{images},{label_file}"), open_spec(f"folder:{tmp_path / 'folder'}")]
    seen = []
    imported = featurising.import_datasets(
        sources,
        DigitFeatures().transform,
        held_out=0.2,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    idx_name = f"idx:{images},{label_file}"
    held = imported.held_out[idx_name]
    training, held_indices = datasets.split_indices(sources[0].labels, 0.2)
    assert held.indices.tolist() == held_indices.tolist()
    # The folder holds one image per digit: a lone example is never held out.
    assert len(imported.y) == len(training) + 10
    assert [record["images"] for record in imported.provenance] == [len(training), 10]
    assert imported.provenance[0]["skipped"] == 1
    # The idx source comes first: its images are groups 0 to 59, and none held out is trained on.
    trained_idx = imported.groups[imported.groups < len(sources[0].labels)]
    assert not np.intersect1d(trained_idx, held.indices).size
    assert np.array_equal(np.unique(trained_idx), training)
    assert (f"train:folder:{tmp_path / 'folder'}", 10, 10) in seen
    assert (f"held-out:{idx_name}", len(held_indices), len(held_indices)) in seen
    # An image's rows share a group, and no two sources' images share one.
    assert len(np.unique(imported.groups)) == len(imported.y)
    assert "label 10 is outside 0-9" in reasons(imported.problems)


def test_importing_nothing_usable_is_an_error(tmp_path):
    (tmp_path / "0").mkdir()
    Image.new("L", (28, 28), 0).save(tmp_path / "0" / "blank.png")
    with pytest.raises(datasets.DatasetError, match="empty"):
        featurising.import_datasets([open_spec(f"folder:{tmp_path}")], DigitFeatures().transform)


@pytest.mark.parametrize(
    ("images", "factor"),
    [(10, 50), (1347, 50), (5000, 13), (15000, 4), (30000, 1), (60000, 0)],
)
def test_small_sets_get_more_distorted_copies_than_large_ones(images, factor):
    assert datasets.suggested_factor(images) == factor
