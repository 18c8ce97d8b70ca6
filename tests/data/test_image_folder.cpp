// Image folders: PNGs written here with stb_image_write (compiled static in this file only,
// so nothing clashes with the stb_image/stb_image_resize that ganzoo_data compiles).
#include "data/dataset.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>

using namespace ganzoo::data;
using ganzoo::test::TempDir;
using ganzoo::test::contains;
using ganzoo::test::error_of;
namespace fs = std::filesystem;

namespace {

// A w x h image with `channels` interleaved channels, every byte = value + pixel index.
void write_png(const std::string& path, int w, int h, int channels, int value) {
    fs::create_directories(fs::path(path).parent_path());
    std::vector<uint8_t> pixels(size_t(w) * h * channels);
    for (size_t p = 0; p < size_t(w) * h; ++p)
        for (int c = 0; c < channels; ++c) pixels[p * channels + c] = static_cast<uint8_t>(value + p);
    REQUIRE(stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels) != 0);
}

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A PNG in memory, from stb_image_write.
std::vector<uint8_t> encoded_png(int w, int h, int channels) {
    std::vector<uint8_t> pixels(size_t(w) * h * channels);
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 37 % 251);
    std::vector<uint8_t> out;
    const auto append = [](void* context, void* data, int size) {
        auto* bytes = static_cast<std::vector<uint8_t>*>(context);
        bytes->insert(bytes->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
    };
    REQUIRE(stbi_write_png_to_func(append, &out, w, h, channels, pixels.data(), w * channels) != 0);
    return out;
}

// An 8x8 RGB baseline JPEG (its one DHT segment holds DC 0, AC 0, DC 1, AC 1 in that order): the
// fuzz seed corpus's, less the byte that picks the fuzz target's channel conversion. (stb_image_
// write's JPEG writer shifts negative values, which UBSan stops on in the asan preset.)
std::vector<uint8_t> corpus_jpeg() {
    std::ifstream in(std::string(GANZOO_IMAGE_CORPUS) + "/rgb.jpg", std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 100);
    bytes.erase(bytes.begin());
    return bytes;
}

size_t find_bytes(const std::vector<uint8_t>& bytes, std::initializer_list<uint8_t> pattern, size_t from = 0) {
    const auto it = std::search(bytes.begin() + from, bytes.end(), pattern.begin(), pattern.end());
    REQUIRE(it != bytes.end());
    return static_cast<size_t>(it - bytes.begin());
}

// A JPEG segment: marker, big-endian length (counting itself), payload.
std::vector<uint8_t> jpeg_segment(uint8_t marker, const std::vector<uint8_t>& payload) {
    const size_t length = payload.size() + 2;
    std::vector<uint8_t> s(2 + length);  // sized up front: GCC 12 misreads insert() after an init list
    s[0] = 0xFF;
    s[1] = marker;
    s[2] = uint8_t(length >> 8);
    s[3] = uint8_t(length & 0xFF);
    std::copy(payload.begin(), payload.end(), s.begin() + 4);
    return s;
}

void insert_after_soi(std::vector<uint8_t>& jpeg, const std::vector<uint8_t>& segment) {
    jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
}

}  // namespace

TEST_CASE("labeled image folder: one class per subfolder, sorted", "[data][folder]") {
    TempDir dir;
    write_png(dir / "shoes/b.png", 4, 3, 1, 20);
    write_png(dir / "bags/x.png", 4, 3, 1, 0);
    write_png(dir / "shoes/a.png", 4, 3, 1, 10);
    write_png(dir / "shoes/nested/c.png", 4, 3, 1, 30);
    write_text(dir / "shoes/notes.txt", "not an image");   // unknown extension: skipped
    write_text(dir / "shoes/._a.png", "macOS metadata");  // hidden: skipped
    write_text(dir / "README", "skipped too");

    const ImageDataset data = load_image_folder(dir.str());
    CHECK(data.name == dir.path().filename().string());
    CHECK(data.count == 4);
    CHECK(data.channels == 1);
    CHECK(data.height == 3);
    CHECK(data.width == 4);
    CHECK(data.class_names == std::vector<std::string>{"bags", "shoes"});
    CHECK(data.labels == std::vector<int64_t>{0, 1, 1, 1});
    // Sorted paths: bags/x, shoes/a, shoes/b, shoes/nested/c.
    CHECK(data.image(0)[0] == 0);
    CHECK(data.image(1)[0] == 10);
    CHECK(data.image(2)[0] == 20);
    CHECK(data.image(3)[0] == 30);
    CHECK(data.image(3)[11] == 41);
}

TEST_CASE("unlabeled image folder, and load_dataset's splits", "[data][folder]") {
    TempDir dir;
    write_png(dir / "1.png", 2, 2, 3, 5);
    write_png(dir / "0.png", 2, 2, 3, 1);
    ImageDataset data = load_dataset(dir.str(), Split::Train);
    CHECK_FALSE(data.labeled());
    CHECK(data.class_names.empty());
    CHECK(data.count == 2);
    CHECK(data.channels == 3);
    // Planar: channel 0 of image 0 holds the four pixels' first bytes.
    CHECK(std::vector<uint8_t>(data.image(0), data.image(0) + 4) == std::vector<uint8_t>{1, 2, 3, 4});
    CHECK(contains(error_of([&] { load_dataset(dir.str(), Split::Test); }), "no test split"));

    TempDir split;
    write_png(split / "train/a/0.png", 2, 2, 1, 0);
    write_png(split / "train/b/0.png", 2, 2, 1, 0);
    write_png(split / "test/a/0.png", 2, 2, 1, 0);
    const ImageDataset train = load_dataset(split.str(), Split::Train);
    const ImageDataset test = load_dataset(split.str() + "/", Split::Test);
    CHECK(train.count == 2);
    CHECK(test.count == 1);
    CHECK(train.name == split.path().filename().string());
    CHECK(test.name == split.path().filename().string());
    fs::remove_all(split.path() / "test");
    CHECK(contains(error_of([&] { load_dataset(split.str(), Split::Test); }), "no test/ subfolder"));
}

TEST_CASE("grey and RGB images: automatic and forced channel counts", "[data][folder]") {
    TempDir dir;
    write_png(dir / "a_grey.png", 2, 2, 1, 50);
    write_png(dir / "b_rgb.png", 2, 2, 3, 100);
    write_png(dir / "c_rgba.png", 2, 2, 4, 150);

    const ImageDataset rgb = load_image_folder(dir.str());  // one colour image: all become RGB
    REQUIRE(rgb.channels == 3);
    for (int c = 0; c < 3; ++c) CHECK(rgb.image(0)[c * 4] == 50);  // grey replicated
    CHECK(rgb.image(2)[0] == 150);                                 // alpha dropped

    const ImageDataset grey = load_image_folder(dir.str(), 1);
    REQUIRE(grey.channels == 1);
    CHECK(grey.pixels.size() == 3u * 4);
    CHECK(grey.image(1)[0] == 100);  // r = g = b converts to the same grey level
    CHECK(grey.image(1)[3] == 103);

    fs::remove(dir / "b_rgb.png");
    fs::remove(dir / "c_rgba.png");
    write_png(dir / "d_grey_alpha.png", 2, 2, 2, 70);
    CHECK(load_image_folder(dir.str()).channels == 1);  // grey + alpha counts as grey
    CHECK(contains(error_of([&] { load_image_folder(dir.str(), 2); }), "channels must be"));
}

TEST_CASE("resize brings every image to one square size", "[data][folder]") {
    TempDir dir;
    std::vector<uint8_t> flat(8 * 8, 77);
    REQUIRE(stbi_write_png((dir / "big.png").c_str(), 8, 8, 1, flat.data(), 8) != 0);
    write_png(dir / "small.png", 3, 5, 1, 0);
    const ImageDataset data = load_image_folder(dir.str(), 0, 4);
    CHECK(data.count == 2);
    CHECK(data.height == 4);
    CHECK(data.width == 4);
    CHECK(data.pixels.size() == 2u * 16);
    for (int p = 0; p < 16; ++p) CHECK(data.image(0)[p] == 77);  // a flat image stays flat
}

TEST_CASE("image folder error: size mismatch names the file", "[data][folder][errors]") {
    TempDir dir;
    write_png(dir / "a.png", 4, 4, 1, 0);
    write_png(dir / "b.png", 4, 5, 1, 0);
    const std::string message = error_of([&] { load_image_folder(dir.str()); });
    CHECK(contains(message, dir / "b.png"));
    CHECK(contains(message, "4x5"));
    CHECK(contains(message, "4x4"));
}

TEST_CASE("image folder error: corrupted PNG names the file", "[data][folder][errors]") {
    TempDir dir;
    write_png(dir / "a.png", 16, 16, 1, 0);
    write_png(dir / "b.png", 16, 16, 1, 0);
    // Damage the compressed data but keep the header: the size probe passes, decoding fails.
    std::fstream png(dir / "b.png", std::ios::in | std::ios::out | std::ios::binary);
    png.seekp(0, std::ios::end);
    const auto size = static_cast<long>(png.tellp());
    png.seekp(45);
    for (long i = 45; i < size - 12; ++i) png.put('\xff');
    png.close();
    std::string message = error_of([&] { load_image_folder(dir.str()); });
    CHECK(contains(message, dir / "b.png"));
    CHECK(contains(message, "not a decodable"));

    write_text(dir / "b.png", "garbage, not even a header");
    message = error_of([&] { load_image_folder(dir.str()); });
    CHECK(contains(message, dir / "b.png"));
}

TEST_CASE("image folder errors: empty folder, loose images beside classes, empty class", "[data][folder][errors]") {
    TempDir dir;
    write_text(dir / "notes.txt", "no images here");
    CHECK(contains(error_of([&] { load_image_folder(dir.str()); }), "no PNG/JPEG/BMP images"));
    CHECK(contains(error_of([&] { load_image_folder(dir / "missing"); }), dir / "missing"));

    write_png(dir / "loose.png", 2, 2, 1, 0);
    write_png(dir / "cls/a.png", 2, 2, 1, 0);
    CHECK(contains(error_of([&] { load_image_folder(dir.str()); }), dir / "loose.png"));

    fs::remove(dir / "loose.png");
    fs::create_directories(dir.path() / "empty_class");
    CHECK(contains(error_of([&] { load_image_folder(dir.str()); }), dir / "empty_class"));
}

// stb_image 2.27 defects found by tests/fuzz (native/data/image_folder.cpp works around them;
// tests/fuzz/regressions/image/ holds the fuzzer's inputs): each refused with a one-line error
// before stb sees the file, and the valid files around them still decode.
TEST_CASE("decode_image: an empty PNG IDAT chunk before the data decodes as if absent", "[data][decode]") {
    const auto png = encoded_png(5, 3, 3);
    auto with_empty = png;
    const size_t idat = find_bytes(png, {'I', 'D', 'A', 'T'}) - 4;  // its length field
    const uint8_t empty_idat[12] = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
    with_empty.insert(with_empty.begin() + idat, empty_idat, empty_idat + 12);
    const DecodedImage a = decode_image(png, "a.png"), b = decode_image(with_empty, "b.png");
    CHECK(b.width == 5);
    CHECK(b.height == 3);
    CHECK(a.pixels == b.pixels);
}

TEST_CASE("decode_image: a PNG chunk longer than the file is refused before stb allocates it", "[data][decode][errors]") {
    auto png = encoded_png(4, 4, 1);
    const size_t idat = find_bytes(png, {'I', 'D', 'A', 'T'}) - 4;
    png[idat] = 0x7F;  // claims ~2 GiB of compressed data
    const std::string message = error_of([&] { decode_image(png, "big.png"); });
    CHECK(contains(message, "big.png: corrupt PNG"));
    CHECK(contains(message, "truncated?"));
}

TEST_CASE("decode_image: JPEG Huffman tables stb_image cannot use are refused", "[data][decode][errors]") {
    const auto jpeg = corpus_jpeg();
    CHECK(decode_image(jpeg, "ok.jpg").width == 8);

    SECTION("a scan that uses a table no DHT segment defines") {
        auto undefined = jpeg;
        const size_t dht = find_bytes(jpeg, {0xFF, 0xC4});
        const size_t ac0 = dht + 4 + 17 + 12;  // after DC 0's id, 16 counts and 12 symbols
        REQUIRE(undefined[ac0] == 0x10);
        undefined[ac0] = 0x13;  // the AC table becomes table 3: the scan's AC 0 is undefined
        CHECK(contains(error_of([&] { decode_image(undefined, "u.jpg"); }),
                       "u.jpg: corrupt JPEG (scan 1 decodes with AC Huffman table 0, which no DHT segment"));
    }
    SECTION("a table of 256 codes") {
        std::vector<uint8_t> table(1 + 16 + 256, 0);
        table[0] = 0x13;  // AC table 3, unused by the scan: refused all the same
        table[1 + 7] = 255;  // 255 codes of 8 bits, one of 9
        table[1 + 8] = 1;
        auto big = jpeg;
        insert_after_soi(big, jpeg_segment(0xC4, table));
        CHECK(contains(error_of([&] { decode_image(big, "t.jpg"); }),
                       "t.jpg: corrupt JPEG (a Huffman table declares 256 codes, at most 255 are supported)"));
    }
    SECTION("FF C4 inside an APP segment is data, not a table") {
        // e.g. an ICC profile's curve: the walk skips APP segments by their length.
        std::vector<uint8_t> icc{'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1, 0xFF, 0xC4, 0x01, 0x20};
        icc.insert(icc.end(), 40, 0xFF);
        auto with_icc = jpeg;
        insert_after_soi(with_icc, jpeg_segment(0xE2, icc));
        const DecodedImage a = decode_image(jpeg, "a.jpg"), b = decode_image(with_icc, "b.jpg");
        CHECK(a.pixels == b.pixels);
    }
}

// An oversized image is named by its size: a 100000x100000 PNG was "unknown image type" (stb's "too large", then its other
// formats' refusal), and the mixed-size message suggested a resize option the CLI lacks.
TEST_CASE("decode_image: a PNG larger than the limit is named by its size", "[data][decode][errors]") {
    std::vector<uint8_t> png = encoded_png(2, 2, 1);
    for (int at : {16, 20}) {  // IHDR's width and height, big-endian
        png[at] = 0x00;
        png[at + 1] = 0x01;
        png[at + 2] = 0x86;
        png[at + 3] = 0xA0;  // 100000
    }
    const std::string message = error_of([&] { decode_image(png, "huge.png"); });
    CHECK(message == "huge.png: image is 100000x100000, sides must be 1..8192");
}

TEST_CASE("image folder error: the size mismatch suggests nothing the CLI lacks", "[data][folder][errors]") {
    TempDir dir;
    write_png(dir / "a.png", 4, 4, 1, 0);
    write_png(dir / "b.png", 4, 5, 1, 0);
    const std::string message = error_of([&] { load_image_folder(dir.str()); });
    CHECK(contains(message, "all images must share one size: resize them first"));
    CHECK(!contains(message, "resize size"));
}
