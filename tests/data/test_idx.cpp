// IDX and Fashion-MNIST: the real files from dataset-fashion-mnist (when installed) and
// synthetic ones written here, gzipped and raw, plus one test per malformed-file error.
#include "data/dataset.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

using namespace ganzoo::data;
using ganzoo::test::TempDir;
using ganzoo::test::contains;
using ganzoo::test::error_of;

namespace {

std::vector<uint8_t> idx_header(uint32_t magic, const std::vector<uint32_t>& dims) {
    std::vector<uint8_t> bytes;
    auto put = [&](uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(v >> shift));
    };
    put(magic);
    for (uint32_t d : dims) put(d);
    return bytes;
}

// n images of rows x cols; pixel values are a simple function of (image, position).
std::vector<uint8_t> idx_images(uint32_t n, uint32_t rows = 28, uint32_t cols = 28) {
    std::vector<uint8_t> bytes = idx_header(0x00000803, {n, rows, cols});
    for (uint32_t i = 0; i < n * rows * cols; ++i) bytes.push_back(static_cast<uint8_t>(i * 7 + i / 784));
    return bytes;
}

std::vector<uint8_t> idx_labels(const std::vector<uint8_t>& labels) {
    std::vector<uint8_t> bytes = idx_header(0x00000801, {static_cast<uint32_t>(labels.size())});
    bytes.insert(bytes.end(), labels.begin(), labels.end());
    return bytes;
}

void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
    gzFile file = gzopen(path.c_str(), "wb");
    REQUIRE(file != nullptr);
    REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
    REQUIRE(gzclose(file) == Z_OK);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A synthetic Fashion-MNIST train split in `dir`: 5 images, labels 0..4.
void write_fmnist(const TempDir& dir, bool gz, const std::vector<uint8_t>& images = idx_images(5),
                  const std::vector<uint8_t>& labels = idx_labels({0, 1, 2, 3, 4})) {
    const std::string suffix = gz ? ".gz" : "";
    auto write = gz ? write_gz : write_raw;
    write(dir / ("train-images-idx3-ubyte" + suffix), images);
    write(dir / ("train-labels-idx1-ubyte" + suffix), labels);
}


}  // namespace

TEST_CASE("real Fashion-MNIST loads with the right counts, shape and labels", "[data][fmnist]") {
    if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
        WARN("dataset-fashion-mnist is not installed: skipped");
        return;
    }
    const auto start = std::chrono::steady_clock::now();
    const ImageDataset train = load_fashion_mnist(kFashionMnistDir, Split::Train);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("fashion-mnist train (60000 images) loaded in %.3f s\n", seconds);

    CHECK(train.name == "fashion-mnist");
    CHECK(train.count == 60000);
    CHECK(train.channels == 1);
    CHECK(train.height == 28);
    CHECK(train.width == 28);
    REQUIRE(train.pixels.size() == 60000u * 28 * 28);
    REQUIRE(train.labels.size() == 60000u);
    CHECK(train.class_names == fashion_mnist_classes());
    CHECK(train.class_names[9] == "Ankle boot");
    std::vector<int64_t> histogram(10, 0);
    for (int64_t label : train.labels) histogram.at(static_cast<size_t>(label))++;
    CHECK(histogram == std::vector<int64_t>(10, 6000));
    // Reference values computed independently (Python gzip + numpy).
    CHECK(std::accumulate(train.pixels.begin(), train.pixels.end(), int64_t{0}) == 3431114169);
    CHECK(std::accumulate(train.image(0), train.image(1), int64_t{0}) == 76247);
    CHECK(train.labels[0] == 9);

    const ImageDataset test = load_dataset("fashion-mnist", Split::Test);
    CHECK(test.count == 10000);
    CHECK(test.labels.size() == 10000u);
    CHECK(std::accumulate(test.pixels.begin(), test.pixels.end(), int64_t{0}) == 573469082);
    CHECK(std::vector<int64_t>(test.labels.begin(), test.labels.begin() + 5) == std::vector<int64_t>{9, 2, 1, 1, 6});
}

TEST_CASE("synthetic IDX reads the same gzipped and raw", "[data][idx]") {
    TempDir gz_dir, raw_dir;
    write_fmnist(gz_dir, true);
    write_fmnist(raw_dir, false);
    const ImageDataset a = load_fashion_mnist(gz_dir.str(), Split::Train);
    const ImageDataset b = load_dataset("fashion-mnist:" + raw_dir.str(), Split::Train);
    const std::vector<uint8_t> expected = idx_images(5);
    CHECK(a.count == 5);
    CHECK(a.pixels == std::vector<uint8_t>(expected.begin() + 16, expected.end()));
    CHECK(a.pixels == b.pixels);
    CHECK(a.labels == std::vector<int64_t>{0, 1, 2, 3, 4});
    CHECK(a.labels == b.labels);

    // read_idx_file and parse_idx agree, and sniff gzip from the bytes, not the name.
    const IdxArray from_file = read_idx_file(gz_dir / "train-images-idx3-ubyte.gz");
    const IdxArray from_bytes = parse_idx(read_bytes(gz_dir / "train-images-idx3-ubyte.gz"), "mem");
    CHECK(from_file.dims == std::vector<int64_t>{5, 28, 28});
    CHECK(from_file.values == from_bytes.values);
    std::filesystem::copy_file(gz_dir / "train-labels-idx1-ubyte.gz", gz_dir / "labels.idx");
    CHECK(read_idx_file(gz_dir / "labels.idx").values == std::vector<uint8_t>{0, 1, 2, 3, 4});

    SECTION("truncate keeps the first images") {
        ImageDataset c = a;
        truncate(c, 2);
        CHECK(c.count == 2);
        CHECK(c.pixels.size() == 2u * 784);
        CHECK(c.labels == std::vector<int64_t>{0, 1});
        truncate(c, 0);
        CHECK(c.count == 2);
    }
}

TEST_CASE("zero-sized IDX arrays are well formed; an empty Fashion-MNIST is not", "[data][idx]") {
    const IdxArray empty = parse_idx(idx_header(0x00000803, {0, 28, 28}), "empty");
    CHECK(empty.dims == std::vector<int64_t>{0, 28, 28});
    CHECK(empty.values.empty());
    TempDir dir;
    write_fmnist(dir, false, idx_header(0x00000803, {0, 28, 28}), idx_labels({}));
    CHECK(contains(error_of([&] { load_fashion_mnist(dir.str(), Split::Train); }), "holds no images"));
}

TEST_CASE("IDX error: wrong magic", "[data][idx][errors]") {
    TempDir dir;
    std::vector<uint8_t> bytes = idx_images(2);
    bytes[0] = 0x50;  // "PK": not IDX at all
    bytes[1] = 0x4b;
    write_raw(dir / "bad.idx", bytes);
    std::string message = error_of([&] { read_idx_file(dir / "bad.idx"); });
    CHECK(contains(message, dir / "bad.idx"));
    CHECK(contains(message, "magic 0x504B0803"));

    write_raw(dir / "two_dims.idx", idx_header(0x00000802, {2, 2}));  // IDX, but neither images nor labels
    message = error_of([&] { read_idx_file(dir / "two_dims.idx"); });
    CHECK(contains(message, dir / "two_dims.idx"));
    CHECK(contains(message, "2 dimensions"));
}

TEST_CASE("IDX error: wrong dtype byte", "[data][idx][errors]") {
    TempDir dir;
    std::vector<uint8_t> bytes = idx_images(2);
    bytes[2] = 0x0D;  // float32
    write_gz(dir / "float.gz", bytes);
    const std::string message = error_of([&] { read_idx_file(dir / "float.gz"); });
    CHECK(contains(message, dir / "float.gz"));
    CHECK(contains(message, "dtype 0x0D"));
    CHECK(contains(message, "expected 0x08"));
}

TEST_CASE("IDX error: truncated images", "[data][idx][errors]") {
    TempDir dir;
    std::vector<uint8_t> bytes = idx_images(5);
    bytes.resize(bytes.size() - 100);
    write_fmnist(dir, true, bytes);
    const std::string path = dir / "train-images-idx3-ubyte.gz";
    const std::string message = error_of([&] { load_fashion_mnist(dir.str(), Split::Train); });
    CHECK(message == path + ": truncated: header says 5 images of 28x28 (3920 bytes) but the file holds 3820");
}

TEST_CASE("IDX error: trailing bytes", "[data][idx][errors]") {
    TempDir dir;
    std::vector<uint8_t> bytes = idx_labels({1, 2, 3});
    bytes.push_back(0);
    write_raw(dir / "labels", bytes);
    const std::string message = error_of([&] { read_idx_file(dir / "labels"); });
    CHECK(message == dir / "labels" + ": trailing data: header says 3 labels (3 bytes) but the file holds 4");
}

TEST_CASE("IDX error: truncated gzip stream", "[data][idx][errors]") {
    TempDir dir;
    write_gz(dir / "full.gz", idx_images(50));
    std::vector<uint8_t> gz = read_bytes(dir / "full.gz");
    gz.resize(gz.size() / 2);
    write_raw(dir / "half.gz", gz);
    const std::string message = error_of([&] { read_idx_file(dir / "half.gz"); });
    CHECK(contains(message, dir / "half.gz"));
    CHECK(contains(message, "truncated gzip stream"));
}

TEST_CASE("Fashion-MNIST error: image and label counts disagree", "[data][fmnist][errors]") {
    TempDir dir;
    write_fmnist(dir, true, idx_images(5), idx_labels({0, 1, 2, 3}));
    const std::string message = error_of([&] { load_fashion_mnist(dir.str(), Split::Train); });
    CHECK(contains(message, dir / "train-images-idx3-ubyte.gz"));
    CHECK(contains(message, dir / "train-labels-idx1-ubyte.gz"));
    CHECK(contains(message, "5 images"));
    CHECK(contains(message, "4 labels"));
}

TEST_CASE("Fashion-MNIST error: label >= 10", "[data][fmnist][errors]") {
    TempDir dir;
    write_fmnist(dir, false, idx_images(5), idx_labels({0, 1, 10, 3, 4}));
    const std::string message = error_of([&] { load_fashion_mnist(dir.str(), Split::Train); });
    CHECK(message == dir / "train-labels-idx1-ubyte" + ": label 10 at index 2 (expected 0..9)");
}

TEST_CASE("Fashion-MNIST error: missing file", "[data][fmnist][errors]") {
    TempDir dir;
    const std::string message = error_of([&] { load_dataset("fashion-mnist:" + dir.str(), Split::Test); });
    CHECK(message == "fashion-mnist: cannot open " + (dir / "t10k-images-idx3-ubyte.gz") +
                         " (No such file or directory); install dataset-fashion-mnist or pass --data DIR");
}

// A count over the limit is printed in full: the saturated count (the limit + 1) was once printed
// as if it were the header's.
TEST_CASE("IDX error: a header over the limit names its byte count in full", "[data][idx][errors]") {
    TempDir dir;
    write_raw(dir / "huge.idx", idx_header(0x00000803, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}));
    const std::string message = error_of([&] { read_idx_file(dir / "huge.idx"); });
    CHECK(message == dir / "huge.idx" + ": header says 4294967295 images of 4294967295x4294967295 "
                                        "(79228162458924105385300197375 bytes), more than the 1 GiB limit for an IDX file");
}
